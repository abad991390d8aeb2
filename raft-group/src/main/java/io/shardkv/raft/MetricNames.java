package io.shardkv.raft;

/** Names of the metrics raft-group registers, in one place so docs and tests can find them. */
public final class MetricNames {
  private MetricNames() {}

  /** Timer of store apply calls on one shard's replica. */
  public static String applySeconds(int shard) {
    return "shardkv_apply_seconds.shard" + shard;
  }

  /** Count of applies that failed and stopped the replica (invariant 8). */
  public static String applyFailures(int shard) {
    return "shardkv_apply_failures_total.shard" + shard;
  }
}
