package io.shardkv.raft.replica;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.raft.command.ShardCommandExecutor;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ApplyOutcome;
import io.shardkv.store.LogEntryOps;
import io.shardkv.store.ShardStore;
import io.shardkv.store.StoreOp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Group commit for one shard replica: applies committed log entries in batches, each batch in
 * ONE store write transaction that also records the last entry's {@code (term, index)} (DESIGN
 * invariant 1), and completes the entries' replies in log order only after that transaction
 * committed.
 *
 * <p>Ratis's apply thread hands entries over without waiting for their futures, so while one
 * batch commits the next accumulates: a lone entry commits at once, and under load each
 * transaction (and each fsync, in {@code sync} mode) carries many entries. One thread per shard
 * is the store's single writer.
 *
 * <p>After a store failure nothing more is applied (invariant 8): the failed batch's
 * transaction was aborted whole, its replies and every later one fail, and {@link #submit}
 * throws so Ratis stops the group.
 */
final class GroupCommitApplier implements AutoCloseable {
  /** Receives commit progress and the first failure, on the applier's thread. */
  interface Listener {
    /**
     * Every entry up to {@code last} is committed to the store; {@code digests} holds the
     * replica digest after each entry of the transaction that the store applied (replayed
     * entries it skipped have none), in index order.
     */
    void committed(AppliedIndex last, List<DigestPoint> digests);

    /** The store failed; this applier applies nothing more. */
    void failed(AppliedIndex firstUnapplied, RuntimeException cause);
  }

  private record Pending(LogEntryOps entry, RaftCommand command,
      CompletableFuture<RaftCommandResult> reply, long submittedNanos) {}

  private final Supplier<ShardStore> store;
  private final ShardCommandExecutor executor;
  private final int maxEntries;
  private final Listener listener;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Object progress = new Object();
  private final Histogram batchEntries;
  private final Timer queueWait;
  private final Timer commitTime;
  private final Thread thread;
  private long submittedUpTo = -1; // guarded by progress
  private long committedUpTo = -1; // guarded by progress
  private volatile RuntimeException failure;
  private volatile boolean closed;

  /**
   * @param maxEntries most entries in one transaction; bounds the transaction's size and how
   *     long the first entry of a batch waits for the last
   */
  GroupCommitApplier(int shard, Supplier<ShardStore> store, ShardCommandExecutor executor,
      int maxEntries, Listener listener, MetricRegistry metrics) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be >= 1, got " + maxEntries);
    }
    this.store = store;
    this.executor = executor;
    this.maxEntries = maxEntries;
    this.listener = listener;
    this.batchEntries = metrics.histogram(MetricNames.applyBatchEntries(shard));
    this.queueWait = metrics.timer(MetricNames.writeStageSeconds("apply_queue", shard));
    this.commitTime = metrics.timer(MetricNames.applySeconds(shard));
    this.thread = new Thread(this::run, "shardkv-apply-" + shard);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Queues the entry at {@code at} ({@code command} null for an entry without data) behind every
   * entry submitted before it. Call in log order from one thread (Ratis's apply thread).
   *
   * @return completes with the entry's reply once its transaction committed, or exceptionally
   *     if it was not applied
   * @throws RuntimeException the store failure, once this applier has failed
   */
  CompletableFuture<RaftCommandResult> submit(AppliedIndex at, RaftCommand command) {
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
    if (closed) {
      throw new IllegalStateException("applier closed");
    }
    List<StoreOp> ops = command == null ? List.of() : executor.toOps(command);
    CompletableFuture<RaftCommandResult> reply = new CompletableFuture<>();
    synchronized (progress) {
      if (at.index() <= submittedUpTo) {
        throw new IllegalStateException("entry " + at + " submitted out of log order (after " + submittedUpTo + ")");
      }
      submittedUpTo = at.index();
    }
    queue.add(new Pending(new LogEntryOps(at, ops), command, reply, System.nanoTime()));
    return reply;
  }

  /**
   * Waits until every entry submitted so far is committed and answered (or this applier failed
   * or closed).
   */
  void awaitSubmitted() throws InterruptedException {
    synchronized (progress) {
      while (committedUpTo < submittedUpTo && failure == null && !closed) {
        progress.wait(100);
      }
    }
  }

  private void run() {
    List<Pending> batch = new ArrayList<>(maxEntries);
    while (!closed) {
      Pending first;
      try {
        // Blocks until an entry comes (close() interrupts): an idle replica costs no wake-ups.
        first = queue.take();
      } catch (InterruptedException e) {
        break;
      }
      batch.clear();
      batch.add(first);
      queue.drainTo(batch, maxEntries - 1);
      commit(batch);
    }
    failRemaining(new IllegalStateException("applier closed before the entry was applied"));
  }

  private void commit(List<Pending> batch) {
    if (failure != null) {
      batch.forEach(p -> p.reply().completeExceptionally(failure));
      return;
    }
    long start = System.nanoTime();
    for (Pending p : batch) {
      queueWait.update(start - p.submittedNanos(), TimeUnit.NANOSECONDS);
    }
    List<LogEntryOps> entries = new ArrayList<>(batch.size());
    batch.forEach(p -> entries.add(p.entry()));
    List<ApplyOutcome> outcomes;
    try {
      ShardStore s = store.get();
      if (s == null) {
        throw new IllegalStateException("no store open (closed or being replaced)");
      }
      outcomes = s.applyBatch(entries);
    } catch (RuntimeException e) {
      failure = e;
      listener.failed(batch.get(0).entry().at(), e);
      batch.forEach(p -> p.reply().completeExceptionally(e));
      failRemaining(e);
      return;
    }
    commitTime.update(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    batchEntries.update(batch.size());
    AppliedIndex last = batch.get(batch.size() - 1).entry().at();
    List<DigestPoint> digests = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      AppliedIndex at = batch.get(i).entry().at();
      outcomes.get(i).digestAfter().ifPresent(d -> digests.add(new DigestPoint(at, d)));
    }
    listener.committed(last, digests);
    // In log order: Ratis releases waiting linearizable reads as these complete.
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      if (p.command() == null) {
        p.reply().complete(null);
      } else {
        try {
          p.reply().complete(executor.encodeResult(p.command(), outcomes.get(i), p.entry().at().index()));
        } catch (RuntimeException e) {
          p.reply().completeExceptionally(e);
        }
      }
    }
    synchronized (progress) {
      committedUpTo = last.index();
      progress.notifyAll();
    }
  }

  private void failRemaining(RuntimeException cause) {
    for (Pending p; (p = queue.poll()) != null; ) {
      p.reply().completeExceptionally(cause);
    }
    synchronized (progress) {
      progress.notifyAll();
    }
  }

  /** Stops the thread; entries not yet committed fail. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    failRemaining(new IllegalStateException("applier closed before the entry was applied"));
  }
}
