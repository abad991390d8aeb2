package io.shardkv.store;

import java.util.Arrays;
import java.util.Comparator;

/** Unsigned lexicographic byte order: the order LMDB's default comparator keeps keys in. */
public final class ByteOrder {
  /** Compares byte arrays the way LMDB (memcmp) does. */
  public static final Comparator<byte[]> UNSIGNED = Arrays::compareUnsigned;

  private ByteOrder() {}

  /** True when {@code key} starts with {@code prefix}. */
  public static boolean hasPrefix(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
