package io.shardkv.router;

import java.util.Random;

/** Random short keys over an alphabet rich in edge bytes (0x00, 0xFF, sign boundary). */
final class RandomKeys {
  private static final byte[] ALPHABET = {0x00, 0x01, 0x41, 0x7F, (byte) 0x80, (byte) 0xFE, (byte) 0xFF};

  private RandomKeys() {}

  /** A key of 1..4 bytes: short keys collide into prefixes of each other often. */
  static byte[] key(Random random) {
    return bytes(random, 1 + random.nextInt(4));
  }

  /** A range bound of 0..4 bytes (0 = the open end). */
  static byte[] bound(Random random) {
    return bytes(random, random.nextInt(5));
  }

  private static byte[] bytes(Random random, int length) {
    byte[] key = new byte[length];
    for (int i = 0; i < length; i++) {
      key[i] = ALPHABET[random.nextInt(ALPHABET.length)];
    }
    return key;
  }
}
