package io.shardkv.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * MurmurHash3 x64 128 over the stream {@code keyLength (4 bytes, little-endian) | key | value},
 * computed straight from the two arrays. It exists because the digest hashes every written and
 * every overwritten pair inside the apply transaction: reading 16-byte blocks as two longs, with
 * no hasher object or intermediate buffer, halves the cost of a general streaming hasher. Its
 * output is pinned to Guava's {@code Hashing.murmur3_128(seed)} over the same bytes by a test.
 */
final class Murmur3Pair {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long C1 = 0x87c37b91114253d5L;
  private static final long C2 = 0x4cf5ad432745937fL;

  private long h1;
  private long h2;
  /** Bytes carried between the parts of the stream until a whole 16-byte block is there. */
  private final byte[] carry = new byte[16];
  private int carried;

  private Murmur3Pair(int seed) {
    h1 = seed;
    h2 = seed;
  }

  /** Returns {@code {h1, h2}}, the hash's first and second 64 bits (Guava byte order). */
  static long[] hash(int seed, byte[] key, byte[] value) {
    Murmur3Pair m = new Murmur3Pair(seed);
    int len = key.length;
    m.carry[0] = (byte) len;
    m.carry[1] = (byte) (len >>> 8);
    m.carry[2] = (byte) (len >>> 16);
    m.carry[3] = (byte) (len >>> 24);
    m.carried = 4;
    m.update(key);
    m.update(value);
    return m.finish(4L + key.length + value.length);
  }

  private void update(byte[] src) {
    int pos = 0;
    if (carried > 0) {
      int take = Math.min(16 - carried, src.length);
      System.arraycopy(src, 0, carry, carried, take);
      carried += take;
      pos = take;
      if (carried < 16) {
        return;
      }
      block((long) LONG_LE.get(carry, 0), (long) LONG_LE.get(carry, 8));
      carried = 0;
    }
    int end = src.length - 15;
    for (; pos < end; pos += 16) {
      block((long) LONG_LE.get(src, pos), (long) LONG_LE.get(src, pos + 8));
    }
    int rest = src.length - pos;
    System.arraycopy(src, pos, carry, 0, rest);
    carried = rest;
  }

  private void block(long k1, long k2) {
    h1 ^= mixK1(k1);
    h1 = Long.rotateLeft(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    h2 ^= mixK2(k2);
    h2 = Long.rotateLeft(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }

  private long[] finish(long length) {
    if (carried > 0) {
      long k1 = 0;
      long k2 = 0;
      for (int i = Math.min(carried, 8) - 1; i >= 0; i--) {
        k1 = (k1 << 8) | (carry[i] & 0xFFL);
      }
      for (int i = carried - 1; i >= 8; i--) {
        k2 = (k2 << 8) | (carry[i] & 0xFFL);
      }
      h1 ^= mixK1(k1);
      h2 ^= mixK2(k2);
    }
    h1 ^= length;
    h2 ^= length;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    return new long[] {h1, h2};
  }

  private static long mixK1(long k1) {
    return Long.rotateLeft(k1 * C1, 31) * C2;
  }

  private static long mixK2(long k2) {
    return Long.rotateLeft(k2 * C2, 33) * C1;
  }

  private static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
