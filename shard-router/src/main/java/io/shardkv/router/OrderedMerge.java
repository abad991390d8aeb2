package io.shardkv.router;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * K-way merge of lists that are each already sorted, keeping the first {@code limit} items.
 * Used by scan to combine the per-shard pages (each sorted by the shard's store) into one page
 * in global key order, without sorting everything again.
 */
final class OrderedMerge {

  /** The first items of a merge, and whether any item was left over after them. */
  record Result<T>(List<T> items, boolean leftover) {}

  private OrderedMerge() {}

  /**
   * Merges {@code sortedLists} (each sorted ascending by {@code order}) and returns the first
   * {@code limit} items in ascending order; {@code leftover} tells whether more items remained.
   */
  static <T> Result<T> merge(List<? extends List<? extends T>> sortedLists, Comparator<? super T> order,
      int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0: " + limit);
    }
    // One cursor per non-empty list, ordered by its current head: O(n log k) for k lists.
    PriorityQueue<Cursor<T>> heads =
        new PriorityQueue<>(Math.max(1, sortedLists.size()), (a, b) -> order.compare(a.head(), b.head()));
    for (List<? extends T> list : sortedLists) {
      if (!list.isEmpty()) {
        heads.add(new Cursor<>(list));
      }
    }
    List<T> items = new ArrayList<>(Math.min(limit, 1024));
    while (items.size() < limit && !heads.isEmpty()) {
      Cursor<T> cursor = heads.poll();
      items.add(cursor.head());
      if (cursor.advance()) {
        heads.add(cursor);
      }
    }
    return new Result<>(List.copyOf(items), !heads.isEmpty());
  }

  /** Position in one input list. Mutable, but private to one merge call. */
  private static final class Cursor<T> {
    private final List<? extends T> list;
    private int position;

    Cursor(List<? extends T> list) {
      this.list = list;
    }

    T head() {
      return list.get(position);
    }

    boolean advance() {
      return ++position < list.size();
    }
  }
}
