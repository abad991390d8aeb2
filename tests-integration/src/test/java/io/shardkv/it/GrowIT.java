package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.NodeStatus;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Growing a running cluster as an operator would: three nodes created with replication factor 3
 * and 8 shards take writes; two more nodes are started with the first three as their seeds;
 * they join the cluster map, the placement controller moves replicas and leaderships to them
 * until every node holds and leads within one of its share, and a writer running throughout
 * loses nothing (errors, if any, are UNAVAILABLE and counted). Every key reads back through
 * every node, the new ones included.
 */
class GrowIT extends ClusterTest {
  private static final int SHARDS = 8;

  @Test
  void twoNodesJoinARunningClusterAndTakeTheirShareWhileWritesContinue() throws Exception {
    cluster = ProcessCluster.withJoiners(dir, 5, 3, "shards = " + SHARDS + "\nreplication-factor = 3\n"
        + "raft.leader-balance-interval = 1s\nplacement.check-interval = 500ms");
    long t0 = System.nanoTime();
    for (int i = 0; i < 3; i++) {
      cluster.start(i);
    }
    for (int i = 0; i < 3; i++) {
      cluster.awaitServing(i);
    }
    Await.until(Duration.ofSeconds(30), "the cluster map created with the three seeds",
        () -> status(0).getMapVersion() > 0 && status(0).getNodesCount() == 3);
    try (BackgroundWriter writer = new BackgroundWriter(cluster, "grow", 4,
        () -> ThreadLocalRandom.current().nextInt(3))) {
      Await.until(Duration.ofSeconds(60), "writes before growing", () -> writer.acknowledged() >= 200);
      int before = writer.acknowledged();
      phase("3 nodes serving, " + before + " writes", t0);

      cluster.start(3);
      cluster.start(4);
      cluster.awaitServing(3);
      cluster.awaitServing(4);
      phase("n4, n5 joined", t0);
      Await.until(Duration.ofSeconds(240), "replicas and leaders balanced over five nodes", this::balanced);
      phase("balanced", t0);
      Await.until(Duration.ofSeconds(60), "writes after growing", () -> writer.acknowledged() >= before + 200);
      writer.stop();

      ClusterStatusResponse status = status(3);
      assertThat(status.getNodesList()).extracting(NodeStatus::getState).containsOnly("ACTIVE");
      assertThat(status.getMovesList()).isEmpty();
      double finished = 0;
      for (int i = 0; i < 5; i++) {
        finished += cluster.metric(i, "shardkv_replica_moves_total", "result", "finished");
      }
      assertThat(finished).as("moves finished").isGreaterThanOrEqualTo(SHARDS * 3 * 2 / 5 - 1);
      assertThat(writer.errors()).as("errors while growing (%d of %d writes)", writer.errors().size(),
          writer.acknowledged() + writer.errors().size()).allMatch(c -> c == Status.Code.UNAVAILABLE);
      for (int node = 0; node < 5; node++) {
        writer.assertNothingLost(node);
      }
      System.out.printf("GrowIT: %.0f moves, %d writes acknowledged, %d failed (all UNAVAILABLE), %.1f s%n",
          finished, writer.acknowledged(), writer.errors().size(), (System.nanoTime() - t0) / 1e9);
    }
  }

  /** Five ACTIVE nodes, three voters per shard, replicas and leaders per node within one of the mean, no move under way. */
  private boolean balanced() {
    ClusterStatusResponse status = status(0);
    return status.getNodesCount() == 5 && status.getNodesList().stream().allMatch(n -> n.getState().equals("ACTIVE"))
        && ClusterLayout.replicasBalanced(status, 5, 3) && ClusterLayout.leadersBalanced(status, 5);
  }

  private ClusterStatusResponse status(int node) {
    return ClusterLayout.status(cluster, node);
  }

  private static void phase(String what, long t0) {
    System.out.printf("GrowIT %6.1f s: %s%n", (System.nanoTime() - t0) / 1e9, what);
  }
}
