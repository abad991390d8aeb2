package io.shardkv.raft.readiness;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks this node's retained Raft log against the {@link ReplayBudget} every interval. A
 * restart loads every group's log on the node before it serves (the cluster map's too, which no
 * snapshot purges), so the budget bounds their sum: while it is exceeded, the shard with the
 * most purgeable log (closed segments; the open one never purges) is snapshotted, which lets
 * Ratis purge it. One such snapshot at a time,
 * and none for a shard that has not applied the log purge gap past its last snapshot (Ratis
 * would purge nothing, and snapshotting again would only copy the store once more).
 */
public final class ReplayBudgetSnapshots implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplayBudgetSnapshots.class);

  /**
   * A shard's retained log as this node holds it now.
   *
   * @param logBytes bytes of the group's Raft log segments on disk
   * @param closedBytes of those, the bytes in closed segments (what a purge can remove)
   * @param applied last applied index
   * @param snapshotIndex index of the newest snapshot artifact; -1 if none
   */
  public record Tail(long logBytes, long closedBytes, long applied, long snapshotIndex) {}

  private final ReplayBudget budget;
  private final int shards;
  private final long purgeGap;
  private final IntFunction<Optional<Tail>> tails;
  private final LongSupplier nodeLogBytes;
  private final IntFunction<CompletableFuture<?>> snapshot;
  private final AtomicBoolean inFlight = new AtomicBoolean();
  private final Counter[] triggered;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "shardkv-replay-budget");
    t.setDaemon(true);
    return t;
  });

  /**
   * @param tails each shard's retained log, empty for a shard that is not hosted or not serving
   * @param nodeLogBytes bytes of every group's log segments on this node, what a restart loads; -1 unreadable
   * @param snapshot takes a snapshot of a shard (and lets Ratis purge its log)
   */
  public ReplayBudgetSnapshots(ReplayBudget budget, int shards, long purgeGap, IntFunction<Optional<Tail>> tails,
      LongSupplier nodeLogBytes, IntFunction<CompletableFuture<?>> snapshot, MetricRegistry metrics) {
    this.budget = budget;
    this.shards = shards;
    this.purgeGap = purgeGap;
    this.tails = tails;
    this.nodeLogBytes = nodeLogBytes;
    this.snapshot = snapshot;
    this.triggered = new Counter[shards];
    metrics.gauge(MetricNames.raftLogLoadBytes(), () -> () -> nodeLogBytes.getAsLong());
    metrics.gauge(MetricNames.replayEstimateSeconds(),
        () -> () -> budget.estimate(nodeLogBytes.getAsLong()).toNanos() / 1e9);
    for (int s = 0; s < shards; s++) {
      triggered[s] = metrics.counter(MetricNames.replayBudgetSnapshots(s));
      int shard = s;
      metrics.gauge(MetricNames.raftLogBytes(shard), () -> () -> tails.apply(shard)
          .map(Tail::logBytes).orElse(-1L));
    }
  }

  /** Checks every {@code interval} until closed. */
  public void start(Duration interval) {
    timer.scheduleWithFixedDelay(this::checkAll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** One check; returns the shard it started a snapshot of, or -1. */
  int checkAll() {
    int largest = -1;
    Tail largestTail = null;
    for (int shard = 0; shard < shards; shard++) {
      Optional<Tail> tail;
      try {
        tail = tails.apply(shard);
      } catch (RuntimeException e) {
        LOG.warn("shard {}: replay budget check failed: {}", shard, e.toString());
        continue;
      }
      if (tail.isEmpty()) {
        continue;
      }
      Tail t = tail.get();
      boolean purgeable = t.closedBytes() > 0 && t.applied() - t.snapshotIndex() >= purgeGap;
      if (purgeable && (largestTail == null || t.closedBytes() > largestTail.closedBytes())) {
        largest = shard;
        largestTail = t;
      }
    }
    if (largest < 0) {
      return -1;
    }
    long total = nodeLogBytes.getAsLong();
    if (!budget.exceeded(total) || !inFlight.compareAndSet(false, true)) {
      return -1;
    }
    int shard = largest;
    LOG.info("shard {}: snapshot to bound restart replay: this node's {} MiB of Raft log would take ~{} ms to load "
            + "at {} MiB/s (raft.max-replay-seconds = {}); this shard can purge {} MiB", shard, total >> 20,
        budget.estimate(total).toMillis(), budget.loadBytesPerSecond() >> 20, budget.budget().toMillis() / 1000.0,
        largestTail.closedBytes() >> 20);
    triggered[shard].inc();
    CompletableFuture<?> done;
    try {
      done = snapshot.apply(shard);
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    done.whenComplete((r, e) -> {
      inFlight.set(false);
      if (e != null) {
        LOG.warn("shard {}: snapshot for the replay budget failed: {}", shard, e.toString());
      }
    });
    return shard;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
