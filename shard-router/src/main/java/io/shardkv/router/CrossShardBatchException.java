package io.shardkv.router;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A batch's keys fall in more than one shard. A batch is atomic because it is one entry in one
 * shard's Raft log; there is no cross-shard transaction, so such a batch is refused rather than
 * split (splitting would silently drop atomicity). The service maps this to
 * {@code FAILED_PRECONDITION}.
 */
public final class CrossShardBatchException extends RuntimeException {
  private final SortedSet<Integer> shards;

  /** {@code shards}: every shard the batch's keys map to (two or more). */
  public CrossShardBatchException(SortedSet<Integer> shards) {
    super("batch spans shards " + shards + "; a batch must stay within one shard");
    this.shards = Collections.unmodifiableSortedSet(new TreeSet<>(shards));
  }

  /** The shards the batch's keys map to, ascending; unmodifiable. */
  public SortedSet<Integer> shards() {
    return shards;
  }
}
