package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.MoveStatus;
import io.shardkv.api.v1.ShardStatus;
import io.shardkv.api.v1.VerifyShardRequest;
import io.shardkv.api.v1.VerifyShardResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * DESIGN invariant 11 under crashes: a fourth node joins three and the placement controller
 * moves replicas to it, one at a time, while a writer runs; in the middle of a move kill -9 hits
 * the move's target, then a move's source. Then a fifth node joins and kill -9 hits the meta
 * group's leader (which runs the controller) in the middle of a move to it. Each is restarted. Every move is finished or rolled back, every shard ends with
 * exactly three voters and balanced, no acknowledged write is lost, and the replicas' digests
 * agree.
 */
class MoveCrashIT extends ClusterTest {
  private static final int SHARDS = 8;
  private static final int N4 = 3;
  private static final int N5 = 4;

  @Test
  void invariant11_aMoveCutShortByKill9OfTargetSourceOrMetaLeaderFinishesOrRollsBack() throws Exception {
    cluster = ProcessCluster.withJoiners(dir, 5, 3, "shards = " + SHARDS + "\nreplication-factor = 3\n"
        + "raft.leader-balance-interval = 1s\nplacement { check-interval = 300ms, max-concurrent-moves = 1 }");
    long t0 = System.nanoTime();
    for (int i = 0; i < 3; i++) {
      cluster.start(i);
    }
    for (int i = 0; i < 3; i++) {
      cluster.awaitServing(i);
    }
    Await.until(Duration.ofSeconds(30), "the cluster map", () -> status().getMapVersion() > 0);
    try (BackgroundWriter writer = new BackgroundWriter(cluster, "mc", 4, this::someLiveNode)) {
      Await.until(Duration.ofSeconds(60), "writes before the moves", () -> writer.acknowledged() >= 300);

      cluster.start(N4);
      MoveStatus toN4 = awaitMove(m -> m.getToNode().equals("n4"));
      cluster.kill9(N4);
      phase("killed the target n4 during " + describe(toN4), t0);
      Await.until(Duration.ofSeconds(60), "the move to the dead n4 ended", () -> status().getMovesList().stream()
          .noneMatch(m -> m.getToNode().equals("n4")));
      assertEveryShardHasAtLeastThreeVoters();
      cluster.start(N4);
      cluster.awaitServing(N4);

      MoveStatus fromSeed = awaitMove(m -> m.getFromNode().matches("n[123]")
          && !m.getFromNode().equals(status().getMapLeader()));
      int source = Integer.parseInt(fromSeed.getFromNode().substring(1)) - 1;
      cluster.kill9(source);
      phase("killed the source " + fromSeed.getFromNode() + " during " + describe(fromSeed), t0);
      Await.until(Duration.ofSeconds(60), "the move from the dead source ended", () -> status().getMovesList()
          .stream().noneMatch(m -> m.getShard() == fromSeed.getShard()));
      assertEveryShardHasAtLeastThreeVoters();
      cluster.start(source);
      cluster.awaitServing(source);

      cluster.start(N5);
      MoveStatus any = awaitMove(m -> m.getToNode().equals("n5"));
      String metaLeader = status().getMapLeader();
      int leader = Integer.parseInt(metaLeader.substring(1)) - 1;
      cluster.kill9(leader);
      phase("killed the meta leader " + metaLeader + " during " + describe(any), t0);
      Await.until(Duration.ofSeconds(60), "another meta leader took the move over", () -> {
        ClusterStatusResponse s = status();
        return !s.getMapLeader().isEmpty() && !s.getMapLeader().equals(metaLeader)
            && s.getMovesList().stream().noneMatch(m -> m.getShard() == any.getShard()
            && m.getStartedUnixMillis() == any.getStartedUnixMillis());
      });
      cluster.start(leader);
      cluster.awaitServing(leader);

      cluster.awaitServing(N5);
      Await.until(Duration.ofSeconds(240), "every shard on three voters, balanced over five nodes", this::balanced);
      phase("balanced", t0);
      int acked = writer.acknowledged();
      Await.until(Duration.ofSeconds(60), "writes after the crashes", () -> writer.acknowledged() >= acked + 100);
      writer.stop();
      assertThat(writer.errors()).as("errors (%d of %d writes)", writer.errors().size(),
          writer.acknowledged() + writer.errors().size()).allMatch(c -> c == Status.Code.UNAVAILABLE);
      for (int node = 0; node < 5; node++) {
        writer.assertNothingLost(node);
      }
      VerifyShardResponse verified = AdminGrpc.newBlockingStub(cluster.channel(0)).withDeadlineAfter(60, TimeUnit.SECONDS)
          .verifyShard(VerifyShardRequest.newBuilder().setAll(true).build());
      assertThat(verified.getShardsList()).allSatisfy(v -> assertThat(v.getResult()).as("shard " + v.getShard())
          .isEqualTo("match"));
      double rolledBack = 0;
      double finished = 0;
      for (int i = 0; i < 5; i++) {
        rolledBack += cluster.metric(i, "shardkv_replica_moves_total", "result", "rolled_back");
        finished += cluster.metric(i, "shardkv_replica_moves_total", "result", "finished");
      }
      System.out.printf("MoveCrashIT: %d writes acknowledged, %d failed (all UNAVAILABLE); moves finished %.0f, "
          + "rolled back %.0f (counters of the live processes); %.1f s%n", writer.acknowledged(),
          writer.errors().size(), finished, rolledBack, (System.nanoTime() - t0) / 1e9);
    }
  }

  private int someLiveNode() {
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      if (cluster.alive(i) && (i < 3 || cluster.serving(i))) {
        live.add(i);
      }
    }
    return live.isEmpty() ? 0 : live.get(ThreadLocalRandom.current().nextInt(live.size()));
  }

  /** Polls ClusterStatus until a move matching {@code which} is under way; returns it. */
  private MoveStatus awaitMove(Predicate<MoveStatus> which) {
    MoveStatus[] found = new MoveStatus[1];
    Await.until(Duration.ofSeconds(120), "a move under way", () -> {
      Optional<MoveStatus> m = status().getMovesList().stream().filter(which).findFirst();
      m.ifPresent(x -> found[0] = x);
      return m.isPresent();
    });
    return found[0];
  }

  private void assertEveryShardHasAtLeastThreeVoters() {
    for (ShardStatus s : status().getShardsList()) {
      assertThat(s.getReplicasCount()).as("voters of shard " + s.getShard()).isGreaterThanOrEqualTo(3);
    }
  }

  private boolean balanced() {
    return ClusterLayout.replicasBalanced(status(), 5, 3);
  }

  /** ClusterStatus from the first live seed. */
  private ClusterStatusResponse status() {
    return ClusterLayout.status(cluster, 0, 1, 2);
  }

  private static String describe(MoveStatus m) {
    return "shard " + m.getShard() + " " + m.getFromNode() + " -> " + m.getToNode() + " (" + m.getPhase() + ")";
  }

  private static void phase(String what, long t0) {
    System.out.printf("MoveCrashIT %6.1f s: %s%n", (System.nanoTime() - t0) / 1e9, what);
  }
}
