package io.shardkv.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The one place that knows how the applied-index meta record is encoded: key
 * {@code "applied_index"} in the meta database, value = version byte 1, term (8 bytes,
 * big-endian), index (8 bytes, big-endian).
 */
public final class MetaSchema {
  /** Key of the record in the meta database. */
  public static final byte[] KEY = "applied_index".getBytes(StandardCharsets.US_ASCII);
  static final byte VERSION = 1;
  static final int LENGTH = 17;

  private MetaSchema() {}

  /** Encodes {@code at} as the record's value. */
  public static byte[] encode(AppliedIndex at) {
    return ByteBuffer.allocate(LENGTH).put(VERSION).putLong(at.term()).putLong(at.index()).array();
  }

  /** Decodes a stored value; {@code null} (no record) reads as missing. */
  public static MetaRead decode(byte[] value) {
    if (value == null) {
      return new MetaRead.Missing();
    }
    if (value.length != LENGTH) {
      return new MetaRead.Corrupt("meta value has " + value.length + " bytes, expected " + LENGTH);
    }
    ByteBuffer b = ByteBuffer.wrap(value);
    byte version = b.get();
    if (version != VERSION) {
      return new MetaRead.Corrupt("unknown meta version " + version);
    }
    long term = b.getLong();
    long index = b.getLong();
    if (term < 0 || index < 0) {
      return new MetaRead.Corrupt("negative term or index: " + term + ", " + index);
    }
    return new MetaRead.Present(new AppliedIndex(term, index));
  }
}
