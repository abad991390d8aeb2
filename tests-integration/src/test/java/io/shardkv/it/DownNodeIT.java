package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.NodeStatus;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * A node that stays down: four nodes, replication factor 3, the down timeout shortened to 5 s.
 * n4 is killed; once it has been unreachable for the timeout the controller marks it DOWN and
 * re-creates each of its replicas on the other nodes from the remaining ones, while a writer
 * runs. When n4 comes back it is ACTIVE again, its stale copies are dropped and it is given
 * its share back. Nothing acknowledged is lost.
 */
class DownNodeIT extends ClusterTest {
  private static final int SHARDS = 4;
  private static final int N4 = 3;

  @Test
  void aNodeDownPastTheTimeoutHasItsReplicasRecreatedElsewhereAndGetsThemBackWhenItReturns() throws Exception {
    cluster = new ProcessCluster(dir, 4, "shards = " + SHARDS + "\nreplication-factor = 3\n"
        + "raft.leader-balance-interval = 1s\nplacement { check-interval = 300ms, down-timeout = 5s }");
    long t0 = System.nanoTime();
    cluster.startAll();
    assertThat(node(status(), "n4").getReplicaShardsCount()).isPositive();
    try (BackgroundWriter writer = new BackgroundWriter(cluster, "down", 4,
        () -> ThreadLocalRandom.current().nextInt(3))) {
      Await.until(Duration.ofSeconds(60), "writes before the failure", () -> writer.acknowledged() >= 200);
      cluster.kill9(N4);
      phase("n4 killed", t0);
      Await.until(Duration.ofSeconds(60), "n4 marked DOWN", () -> node(status(), "n4").getState().equals("DOWN"));
      phase("n4 DOWN", t0);
      Await.until(Duration.ofSeconds(120), "n4's replicas re-created on n1-n3", () -> {
        ClusterStatusResponse s = status();
        return s.getMovesList().isEmpty() && s.getShardsList().stream()
            .allMatch(sh -> sh.getReplicasCount() == 3 && !sh.getReplicasList().contains("n4"));
      });
      phase("every shard on three live voters", t0);
      int acked = writer.acknowledged();
      Await.until(Duration.ofSeconds(60), "writes without n4", () -> writer.acknowledged() >= acked + 100);

      cluster.start(N4);
      cluster.awaitServing(N4);
      Await.until(Duration.ofSeconds(180), "n4 ACTIVE with its share back", () -> {
        ClusterStatusResponse s = status();
        return node(s, "n4").getState().equals("ACTIVE") && ClusterLayout.replicasBalanced(s, 4, 3);
      });
      phase("n4 back and balanced", t0);
      writer.stop();
      assertThat(writer.errors()).as("errors (%d of %d writes)", writer.errors().size(),
          writer.acknowledged() + writer.errors().size()).allMatch(c -> c == Status.Code.UNAVAILABLE);
      for (int i = 0; i < 4; i++) {
        writer.assertNothingLost(i);
      }
      System.out.printf("DownNodeIT: %d writes acknowledged, %d failed (all UNAVAILABLE), %.1f s%n",
          writer.acknowledged(), writer.errors().size(), (System.nanoTime() - t0) / 1e9);
    }
  }

  private ClusterStatusResponse status() {
    return ClusterLayout.status(cluster, 0);
  }

  private static NodeStatus node(ClusterStatusResponse status, String id) {
    return ClusterLayout.node(status, id);
  }

  private static void phase(String what, long t0) {
    System.out.printf("DownNodeIT %6.1f s: %s%n", (System.nanoTime() - t0) / 1e9, what);
  }
}
