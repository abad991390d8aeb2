package io.shardkv.bench;

import java.nio.charset.StandardCharsets;

/**
 * The benchmark's key naming: {@code bench/0000000042}. Fixed width, so byte order is numeric
 * order and a scan from key i returns keys i, i+1, ...
 */
final class Keys {
  static final byte[] END = "bench0".getBytes(StandardCharsets.US_ASCII); // just past "bench/..."

  private Keys() {}

  static byte[] key(long i) {
    return String.format("bench/%010d", i).getBytes(StandardCharsets.US_ASCII);
  }
}
