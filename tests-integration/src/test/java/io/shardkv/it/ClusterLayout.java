package io.shardkv.it;

import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.NodeStatus;
import io.shardkv.api.v1.ShardStatus;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Where a cluster's replicas and leaders are, as Admin/ClusterStatus reports it: the checks the
 * scale-out tests (grow, crash during a move, a node down) wait for.
 */
final class ClusterLayout {
  private ClusterLayout() {
  }

  /** ClusterStatus from the first of {@code nodes} that is alive and answers. */
  static ClusterStatusResponse status(ProcessCluster cluster, int... nodes) {
    StatusRuntimeException last = null;
    for (int i : nodes) {
      if (!cluster.alive(i)) {
        continue;
      }
      try {
        return AdminGrpc.newBlockingStub(cluster.channel(i)).withDeadlineAfter(20, TimeUnit.SECONDS)
            .clusterStatus(ClusterStatusRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        last = e;
      }
    }
    throw last != null ? last : new IllegalStateException("none of the nodes asked is alive");
  }

  /** The status of node {@code id}. */
  static NodeStatus node(ClusterStatusResponse status, String id) {
    return status.getNodesList().stream().filter(n -> n.getNodeId().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError(id + " not in ClusterStatus " + status.getNodesList()));
  }

  /**
   * No move under way, every shard on exactly {@code replicationFactor} voters, and every one of
   * {@code nodes} nodes holding a number of replicas within one of the mean.
   */
  static boolean replicasBalanced(ClusterStatusResponse status, int nodes, int replicationFactor) {
    if (!status.getMovesList().isEmpty()) {
      return false;
    }
    Map<String, Integer> held = new TreeMap<>();
    for (ShardStatus s : status.getShardsList()) {
      if (s.getReplicasCount() != replicationFactor) {
        return false;
      }
      s.getReplicasList().forEach(n -> held.merge(n, 1, Integer::sum));
    }
    return held.size() == nodes
        && withinOneOfMean(held.values(), (double) replicationFactor * status.getShardsCount() / nodes);
  }

  /**
   * {@link #replicasBalanced}, and no node holds two replicas more than another: where the
   * placement controller stops moving replicas (within one of the mean can still leave 4 and 2
   * around a mean of 3, which it evens out).
   */
  static boolean replicasSettled(ClusterStatusResponse status, int nodes, int replicationFactor) {
    if (!replicasBalanced(status, nodes, replicationFactor)) {
      return false;
    }
    Map<String, Integer> held = new TreeMap<>();
    status.getShardsList().forEach(s -> s.getReplicasList().forEach(n -> held.merge(n, 1, Integer::sum)));
    return java.util.Collections.max(held.values()) - java.util.Collections.min(held.values()) <= 1;
  }

  /** Every shard has a leader, and each node leads a number of shards within one of the mean. */
  static boolean leadersBalanced(ClusterStatusResponse status, int nodes) {
    Map<String, Integer> led = new TreeMap<>();
    for (ShardStatus s : status.getShardsList()) {
      if (s.getLeader().isEmpty()) {
        return false;
      }
      led.merge(s.getLeader(), 1, Integer::sum);
    }
    double mean = (double) status.getShardsCount() / nodes;
    // A node leading nothing counts as 0, which must also be within one of the mean.
    return withinOneOfMean(led.values(), mean) && (led.size() == nodes || mean <= 1.0);
  }

  private static boolean withinOneOfMean(Collection<Integer> counts, double mean) {
    return counts.stream().allMatch(n -> Math.abs(n - mean) <= 1.0);
  }
}
