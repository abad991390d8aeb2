package io.shardkv.store;

import java.util.Arrays;
import org.lmdbjava.KeyRange;

/**
 * LMDB cursor ranges for the store's seeks, minding what LMDB rejects in a range seek: a
 * zero-length key, and a key longer than its key limit.
 */
final class KeyRanges {
  private KeyRanges() {}

  /** Every key at or after {@code start}; an empty start means "from the first key". */
  static KeyRange<byte[]> from(byte[] start) {
    return start.length == 0 ? KeyRange.all() : KeyRange.atLeast(start);
  }

  /** Keys in {@code [start, end)}; an empty {@code end} means no upper bound. */
  static KeyRange<byte[]> scan(byte[] start, byte[] end) {
    if (start.length > LmdbShardStore.MAX_KEY_BYTES) {
      // A paging cursor (last key + 0x00) can exceed LMDB's key limit, which a range seek
      // rejects. No stored key is that long, so "key >= start" is exactly "key > start's first
      // MAX_KEY_BYTES bytes".
      byte[] head = Arrays.copyOf(start, LmdbShardStore.MAX_KEY_BYTES);
      return end.length == 0 ? KeyRange.greaterThan(head) : KeyRange.open(head, end);
    } else if (end.length == 0) {
      return from(start);
    } else if (start.length == 0) {
      return KeyRange.lessThan(end);
    }
    return KeyRange.closedOpen(start, end);
  }
}
