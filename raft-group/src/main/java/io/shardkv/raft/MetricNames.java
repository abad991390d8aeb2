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

  /** Timer of snapshot artifacts produced (copy, pin, save). */
  public static String snapshotSeconds(int shard) {
    return "shardkv_snapshot_seconds.shard" + shard;
  }

  /** Timer of snapshot installs from a leader (fetch excluded: store swap and pin). */
  public static String snapshotInstallSeconds(int shard) {
    return "shardkv_snapshot_install_seconds.shard" + shard;
  }

  /** Counter of cold-start decisions by outcome and reason. */
  public static String coldStartTotal(String outcome, String reason) {
    return "shardkv_coldstart_total." + outcome + "." + reason;
  }

  /** Timer of cold-start decisions including any restore. */
  public static String coldStartSeconds() {
    return "shardkv_coldstart_seconds";
  }
}
