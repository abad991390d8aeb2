package io.shardkv.raft.host;

import io.shardkv.raft.coldstart.ColdStartReport;
import io.shardkv.store.AppliedIndex;
import java.util.List;
import java.util.Optional;

/**
 * One shard as this node sees it, for the admin API. For a shard this node does not host,
 * {@code hosted} is false and only {@code shard}, {@code groupId}, {@code replicas} and {@code
 * leader} mean anything (as the group's members report them, if reachable).
 */
public record ReplicaStatus(int shard, String groupId, boolean hosted, Optional<String> leader, long term,
    long appliedIndex, Optional<AppliedIndex> durableAppliedIndex, Optional<AppliedIndex> snapshotIndex,
    Optional<ColdStartReport> coldStart, List<String> replicas) {

  public ReplicaStatus {
    replicas = List.copyOf(replicas);
  }
}
