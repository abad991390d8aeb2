package io.shardkv.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The one place that knows how the replica-digest record is encoded: key
 * {@code "replica_digest"} in the meta database (beside the applied-index record), value =
 * version byte 1 (MurmurHash3 x64 128 pair hashes, see {@link PairHash}), sum high and low
 * (8 bytes each, big-endian), pair count (8 bytes, big-endian).
 */
public final class DigestSchema {
  /** Key of the record in the meta database. */
  public static final byte[] KEY = "replica_digest".getBytes(StandardCharsets.US_ASCII);
  static final byte VERSION = 1;
  static final int LENGTH = 25;

  private DigestSchema() {}

  /** Encodes {@code digest} as the record's value. */
  public static byte[] encode(ReplicaDigest digest) {
    return ByteBuffer.allocate(LENGTH).put(VERSION).putLong(digest.high()).putLong(digest.low())
        .putLong(digest.pairs()).array();
  }

  /**
   * Decodes a stored value: empty if there is no record (a store written before digests
   * existed); throws {@link StoreException} if the record is malformed or of another version,
   * because a replica that cannot read its digest cannot keep it current.
   */
  public static java.util.Optional<ReplicaDigest> decode(byte[] value) {
    if (value == null) {
      return java.util.Optional.empty();
    }
    if (value.length != LENGTH || value[0] != VERSION) {
      throw new StoreException("replica digest record is malformed (" + value.length
          + " bytes, version " + (value.length > 0 ? value[0] : -1) + "; expected " + LENGTH + " bytes, version "
          + VERSION + ")");
    }
    ByteBuffer b = ByteBuffer.wrap(value, 1, LENGTH - 1);
    long high = b.getLong();
    long low = b.getLong();
    long pairs = b.getLong();
    if (pairs < 0) {
      throw new StoreException("replica digest record has a negative pair count: " + pairs);
    }
    return java.util.Optional.of(new ReplicaDigest(high, low, pairs));
  }
}
