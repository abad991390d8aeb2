package io.shardkv.raft.readiness;

import java.time.Duration;

/**
 * Bounds what a restart must replay by time rather than by entry count. After a cold-start
 * skip the store is current, but Ratis still reads every retained segment of every hosted
 * shard's Raft log before the node runs, and that costs time in proportion to the log's bytes:
 * a burst of large values can retain gigabytes while staying under the entry-count snapshot
 * trigger. This class estimates that time from the bytes and a measured rate, and says when
 * it exceeds the budget ({@link ReplayBudgetSnapshots} then snapshots, and Ratis purges).
 *
 * <p>The rate is measured at this process's start (bytes of Raft log loaded over the time
 * Ratis took to start, a lower bound, so the estimate errs long); until a start has loaded
 * enough log to measure, {@link #DEFAULT_LOAD_BYTES_PER_SECOND} applies. Thread-safe.
 */
public final class ReplayBudget {
  /**
   * Log load rate assumed before one is measured: what this 2-core machine measured with three
   * nodes starting at once, 45-52 MiB/s (docs/benchmarks.md, "Replay budget").
   */
  public static final long DEFAULT_LOAD_BYTES_PER_SECOND = 50L << 20;
  /** Loads of less log than this say more about start-up overhead than about the rate. */
  static final long MIN_MEASURED_BYTES = 16L << 20;

  private final Duration budget;
  private volatile long loadBytesPerSecond = DEFAULT_LOAD_BYTES_PER_SECOND;

  /** @param budget longest acceptable load of this node's retained Raft log on restart */
  public ReplayBudget(Duration budget) {
    if (budget.isNegative() || budget.isZero()) {
      throw new IllegalArgumentException("replay budget must be positive, got " + budget);
    }
    this.budget = budget;
  }

  /**
   * Folds in one start of the Raft server: {@code bytes} of log loaded in {@code startNanos},
   * which include the cold-start gates. A gate that restored a store from a snapshot is not log
   * loading and would make the rate look slow (the budget would then snapshot far too often),
   * so the longest gate is taken out, as if the gates ran alongside each other (the estimate
   * errs long, as it should).
   */
  public void recordStart(long bytes, long startNanos, long longestGateNanos) {
    recordLoad(bytes, startNanos - longestGateNanos);
  }

  /** Folds in one measured load: {@code bytes} of log loaded in {@code nanos}. */
  public void recordLoad(long bytes, long nanos) {
    if (bytes >= MIN_MEASURED_BYTES && nanos > 0) {
      loadBytesPerSecond = Math.max(1, (long) (bytes / (nanos / 1e9)));
    }
  }

  /** Bytes per second the estimate uses now. */
  public long loadBytesPerSecond() {
    return loadBytesPerSecond;
  }

  /** Estimated time to replay a retained log of {@code logBytes} on restart. */
  public Duration estimate(long logBytes) {
    return Duration.ofNanos((long) (logBytes / (double) loadBytesPerSecond * 1e9));
  }

  /** Whether loading {@code logBytes} of log on a restart would take longer than the budget. */
  public boolean exceeded(long logBytes) {
    return estimate(logBytes).compareTo(budget) > 0;
  }

  /** The budget. */
  public Duration budget() {
    return budget;
  }
}
