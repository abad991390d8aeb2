package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.NodeStatus;
import io.shardkv.api.v1.ShardStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Restart readiness with real node processes: each shard's phase in ClusterStatus and metrics
 * while a restarted node cannot serve yet, and the replay budget keeping the Raft log a
 * restart must load within bounds after a burst of large writes.
 */
class RestartReadinessIT extends ClusterTest {
  private static final int N1 = 0;
  private static final int N3 = 2;

  private ClusterStatusResponse status(int node) {
    return AdminGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance());
  }

  private static NodeStatus self(ClusterStatusResponse status) {
    return status.getNodesList().stream().filter(NodeStatus::getSelf).findFirst().orElseThrow();
  }

  @Test
  void aRestartedNodeSaysPerShardWhyItIsNotServingUntilItCatchesUp() throws Exception {
    cluster = new ProcessCluster(dir, "");
    cluster.startAll();
    for (int i = 0; i < 40; i++) {
      put(N1, "k" + i, "v" + i);
    }
    for (int n = 0; n < 3; n++) {
      cluster.kill9(n);
    }

    // n3 alone: no leader can be elected, so every shard waits and says so.
    cluster.start(N3);
    Await.until(Duration.ofSeconds(60), "n3 answers ClusterStatus", () -> status(N3).getShardsCount() > 0);
    ClusterStatusResponse waiting = status(N3);
    assertThat(self(waiting).getHealth()).isEqualTo("NOT_SERVING");
    for (ShardStatus shard : waiting.getShardsList()) {
      assertThat(shard.getReadiness().getPhase()).as("shard %d", shard.getShard())
          .isIn("replaying", "catching_up");
      assertThat(shard.getReadiness().getDetail()).containsAnyOf("no leader known", "waiting for a leader");
      assertThat(self(waiting).getNotServingReason()).contains("shard " + shard.getShard() + " ");
    }
    assertThat(cluster.metric(N3, "shardkv_shard_phase", "phase", "serving")).isZero();
    assertThat(cluster.metric(N3, "shardkv_shard_phase")).isEqualTo(ProcessCluster.SHARDS);
    assertThat(cluster.serving(N3)).isFalse();

    // A peer returns: leaders are elected, n3 catches up, and only then reports SERVING.
    cluster.start(N1);
    cluster.awaitServing(N3);
    ClusterStatusResponse serving = status(N3);
    assertThat(self(serving).getHealth()).isEqualTo("SERVING");
    assertThat(self(serving).getNotServingReason()).isEmpty();
    for (ShardStatus shard : serving.getShardsList()) {
      assertThat(shard.getReadiness().getPhase()).as("shard %d", shard.getShard()).isEqualTo("serving");
    }
    assertThat(cluster.metric(N3, "shardkv_shard_phase", "phase", "serving")).isEqualTo(ProcessCluster.SHARDS);
    assertThat(cluster.log(N3, true)).contains("-> serving after");
    for (int i = 0; i < 40; i++) {
      assertThat(get(N3, "k" + i, false)).contains("v" + i);
    }
  }

  /** Budget 0.1 s at the default 50 MiB/s: 5 MiB of log per node; segments small enough to purge. */
  private static final String SMALL_BUDGET = "raft { max-replay-seconds = 0.1, log-segment-size = 256KiB, "
      + "log-purge-gap = 8 }\nlimits { max-value-bytes = 1048576 }";

  @Test
  void aRestartAfterAHeavyWriteBurstLoadsNoMoreLogThanTheReplayBudget() throws Exception {
    cluster = new ProcessCluster(dir, SMALL_BUDGET);
    cluster.startAll();
    String big = "x".repeat(64 * 1024);
    Map<String, String> acked = new ConcurrentHashMap<>();
    // ~25 MiB of log on every node, five times the budget; four writers at once, as a burst comes.
    ExecutorService writers = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> puts = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        int n = i;
        puts.add(writers.submit(() -> {
          put(n % 3, "big" + n, n + big);
          acked.put("big" + n, n + big);
        }));
      }
      for (Future<?> p : puts) {
        p.get(120, TimeUnit.SECONDS);
      }
    } finally {
      writers.shutdownNow();
    }
    long budgetBytes = (long) (0.1 * (50L << 20));
    for (int n = 0; n < 3; n++) {
      int node = n;
      // What a restart loads: every group's log, the cluster map's included (it never purges).
      Await.until(Duration.ofSeconds(60), "n" + (n + 1) + "'s retained log back within the budget", () -> {
        try {
          return cluster.metric(node, "shardkv_raft_log_load_bytes") <= budgetBytes;
        } catch (Exception e) {
          return false;
        }
      });
      assertThat(cluster.metric(n, "shardkv_snapshot_replay_budget_total")).as("n%d budget snapshots", n + 1)
          .isPositive();
    }
    assertThat(cluster.log(N3, true)).contains("snapshot to bound restart replay");

    cluster.kill9(N3);
    cluster.start(N3);
    cluster.awaitServing(N3);
    Matcher loaded = Pattern.compile("raft_log_bytes=(\\d+)").matcher(cluster.log(N3, true));
    long lastLoad = -1;
    while (loaded.find()) {
      lastLoad = Long.parseLong(loaded.group(1));
    }
    assertThat(lastLoad).as("Raft log bytes the restart loaded").isBetween(1L, budgetBytes);
    assertReadsBack(N3, acked);
  }
}
