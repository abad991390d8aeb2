package io.shardkv.raft.readiness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** The replay budget's estimate, and when it snapshots a shard. */
class ReplayBudgetTest {
  private static final long MIB = 1L << 20;

  @Test
  void estimatesFromTheDefaultRateUntilAStartLoadedEnoughLogToMeasure() {
    ReplayBudget budget = new ReplayBudget(Duration.ofSeconds(2));
    assertThat(budget.estimate(100 * MIB)).isEqualTo(Duration.ofSeconds(2));
    assertThat(budget.exceeded(100 * MIB)).isFalse();
    assertThat(budget.exceeded(101 * MIB)).isTrue();

    budget.recordLoad(MIB, TimeUnit.SECONDS.toNanos(10)); // too little log to say anything
    assertThat(budget.loadBytesPerSecond()).isEqualTo(ReplayBudget.DEFAULT_LOAD_BYTES_PER_SECOND);
    budget.recordLoad(400 * MIB, TimeUnit.SECONDS.toNanos(2));
    assertThat(budget.loadBytesPerSecond()).isEqualTo(200 * MIB);
    assertThat(budget.exceeded(400 * MIB)).isFalse();
    assertThatThrownBy(() -> new ReplayBudget(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRestoreDuringTheStartIsNotCountedAsLoadingTheLog() {
    ReplayBudget budget = new ReplayBudget(Duration.ofSeconds(5));
    // 20 MiB of log; the start took 3 s of which a gate's restore took 2.9 s: 200 MiB/s, not 6.7.
    budget.recordStart(20 * MIB, TimeUnit.MILLISECONDS.toNanos(3000), TimeUnit.MILLISECONDS.toNanos(2900));
    assertThat(budget.loadBytesPerSecond()).isEqualTo(200 * MIB);
    // A gate as long as the whole start leaves nothing to measure: the rate stays.
    budget.recordStart(20 * MIB, TimeUnit.SECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(1));
    assertThat(budget.loadBytesPerSecond()).isEqualTo(200 * MIB);
  }

  @Test
  void snapshotsTheShardWithTheMostPurgeableLogWhileTheNodesLogIsOverBudget() {
    ReplayBudget budget = new ReplayBudget(Duration.ofSeconds(1)); // 50 MiB at the default rate
    List<Optional<ReplayBudgetSnapshots.Tail>> tails = new ArrayList<>(List.of(
        Optional.of(new ReplayBudgetSnapshots.Tail(30 * MIB, 20 * MIB, 5000, 1000)),  // purgeable
        Optional.of(new ReplayBudgetSnapshots.Tail(40 * MIB, 0, 5000, 1000)),         // only an open segment
        Optional.of(new ReplayBudgetSnapshots.Tail(40 * MIB, 35 * MIB, 1500, 1000)),  // too soon after its snapshot
        Optional.empty()));                                                            // not serving here
    AtomicLong otherLogs = new AtomicLong(0); // the cluster map's log, which no snapshot purges
    LongSupplier nodeLogBytes = () -> otherLogs.get()
        + tails.stream().mapToLong(t -> t.map(ReplayBudgetSnapshots.Tail::logBytes).orElse(0L)).sum();
    List<Integer> snapshotted = new ArrayList<>();
    CompletableFuture<Void> pending = new CompletableFuture<>();
    MetricRegistry metrics = new MetricRegistry();
    try (ReplayBudgetSnapshots snapshots = new ReplayBudgetSnapshots(budget, 4, 1024, tails::get, nodeLogBytes,
        shard -> {
          snapshotted.add(shard);
          return pending;
        }, metrics)) {
      // 110 MiB on the node, over the 50 MiB budget: shard 0 is the one that can purge.
      assertThat(snapshots.checkAll()).isZero();
      assertThat(snapshotted).containsExactly(0);
      assertThat(snapshots.checkAll()).as("one at a time").isEqualTo(-1);
      pending.complete(null);
      tails.set(0, Optional.of(new ReplayBudgetSnapshots.Tail(10 * MIB, 0, 5100, 5000)));
      assertThat(snapshots.checkAll()).as("nothing left to purge").isEqualTo(-1);
      tails.set(1, Optional.of(new ReplayBudgetSnapshots.Tail(5 * MIB, 0, 5000, 1000)));
      tails.set(2, Optional.of(new ReplayBudgetSnapshots.Tail(5 * MIB, 4 * MIB, 9000, 1000)));
      assertThat(snapshots.checkAll()).as("20 MiB: within budget").isEqualTo(-1);
      assertThat(metrics.counter(MetricNames.replayBudgetSnapshots(0)).getCount()).isEqualTo(1);
      assertThat(metrics.getGauges().get(MetricNames.raftLogBytes(1)).getValue()).isEqualTo(5 * MIB);
      assertThat((Double) metrics.getGauges().get(MetricNames.replayEstimateSeconds()).getValue())
          .isEqualTo(0.4);

      // Logs that are no shard's count too: a restart loads them as well.
      otherLogs.set(40 * MIB);
      assertThat(metrics.getGauges().get(MetricNames.raftLogLoadBytes()).getValue()).isEqualTo(60 * MIB);
      assertThat(snapshots.checkAll()).as("60 MiB with the map's log: shard 2 purges").isEqualTo(2);
      assertThat(snapshotted).containsExactly(0, 2);
    }
  }
}
