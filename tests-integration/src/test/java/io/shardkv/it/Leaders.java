package io.shardkv.it;

import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ShardStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/** Who leads which shard, as one node's Admin ClusterStatus tells it. */
final class Leaders {
  private Leaders() {}

  /** A shard's leader (node index) in a term. */
  record Leader(int node, long term) {}

  /** Shard {@code shard}'s leader as node {@code asked} knows it; empty if it knows none. */
  static Optional<Leader> asSeenBy(ProcessCluster cluster, int asked, int shard) {
    ShardStatus s = AdminGrpc.newBlockingStub(cluster.channel(asked)).withDeadlineAfter(5, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance()).getShards(shard);
    String id = s.getLeader();
    if (!id.matches("n[0-9]+")) {
      return Optional.empty();
    }
    return Optional.of(new Leader(Integer.parseInt(id.substring(1)) - 1, s.getTerm()));
  }

  /** Waits until {@code asked} knows a leader of {@code shard} that {@code wanted} accepts. */
  static Leader await(ProcessCluster cluster, int asked, int shard, Predicate<Leader> wanted, String what) {
    AtomicReference<Leader> found = new AtomicReference<>();
    Await.until(Duration.ofSeconds(30), "n" + (asked + 1) + " to know " + what + " of shard " + shard, () -> {
      Optional<Leader> l = asSeenBy(cluster, asked, shard);
      l.filter(wanted).ifPresent(found::set);
      return found.get() != null;
    });
    return found.get();
  }

  /** Waits until every node names the same leader of {@code shard} in the same term. */
  static Leader awaitAgreed(ProcessCluster cluster, int shard) {
    AtomicReference<Leader> agreed = new AtomicReference<>();
    Await.until(Duration.ofSeconds(30), "every node to agree on the leader of shard " + shard, () -> {
      Optional<Leader> first = asSeenBy(cluster, 0, shard);
      for (int i = 1; i < cluster.size() && first.isPresent(); i++) {
        if (!asSeenBy(cluster, i, shard).equals(first)) {
          return false;
        }
      }
      first.ifPresent(agreed::set);
      return first.isPresent();
    });
    return agreed.get();
  }

  /** How many shards each node leads, by every node's agreed view. */
  static int[] ledCounts(ProcessCluster cluster) {
    int[] led = new int[cluster.size()];
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      led[awaitAgreed(cluster, s).node()]++;
    }
    return led;
  }
}
