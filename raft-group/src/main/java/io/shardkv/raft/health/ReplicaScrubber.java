package io.shardkv.raft.health;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.replica.ShardStateMachine;
import io.shardkv.store.ScrubResult;
import io.shardkv.store.StoreClosedException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads every replica this node hosts, slowly, and compares what it finds with the digest
 * the replica keeps current (DESIGN invariant 10). LMDB has no checksums: a bit that rots in a
 * data file is served as if it were data. A replica whose scan does not match is marked
 * corrupt (it refuses reads from then on) and, if the policy allows and its peers agree among
 * themselves, re-synced from the leader. A replica restored from a snapshot (at start or by an
 * install from the leader) is checked first, before any periodic pass.
 */
public final class ReplicaScrubber implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaScrubber.class);
  private static final long TICK_MILLIS = 500;
  /** After a pass gave way (map resize, restart of the replica), try that shard again after this. */
  private static final long RETRY_MILLIS = 5_000;

  /** Replaces a corrupt replica with a fresh copy from the group; false if it could not. */
  public interface Resync {
    boolean resync(int shard);
  }

  private final ScrubPolicy policy;
  private final int shardCount;
  private final IntFunction<Optional<ShardStateMachine>> hosted;
  private final Resync resync;
  private final MetricRegistry metrics;
  private final Thread thread;
  private volatile boolean running = true;
  private long nextPassNanos;
  private final long[] retryAtNanos;
  private final boolean[] retryPending;

  /**
   * @param hosted the replica of a shard this node hosts and serves now, if any
   */
  public ReplicaScrubber(ScrubPolicy policy, int shardCount, IntFunction<Optional<ShardStateMachine>> hosted,
      Resync resync, MetricRegistry metrics) {
    this.policy = policy;
    this.shardCount = shardCount;
    this.hosted = hosted;
    this.resync = resync;
    this.metrics = metrics;
    this.retryAtNanos = new long[shardCount];
    this.retryPending = new boolean[shardCount];
    this.nextPassNanos = System.nanoTime() + policy.interval().toNanos();
    this.thread = new Thread(this::run, "shardkv-scrubber");
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private void run() {
    while (running) {
      try {
        for (int shard = 0; shard < shardCount && running; shard++) {
          Optional<ShardStateMachine> sm = hosted.apply(shard);
          if (sm.isPresent() && sm.get().takeRestoreCheck()) {
            scrub(shard, sm.get(), "after a snapshot restore");
          }
        }
        long now = System.nanoTime();
        for (int shard = 0; shard < shardCount && running; shard++) {
          if (retryPending[shard] && now - retryAtNanos[shard] >= 0) {
            retryPending[shard] = false;
            int s = shard;
            hosted.apply(shard).ifPresent(sm -> scrub(s, sm, "again after giving way"));
          }
        }
        if (policy.periodic() && System.nanoTime() - nextPassNanos >= 0) {
          for (int shard = 0; shard < shardCount && running; shard++) {
            int s = shard;
            hosted.apply(shard).ifPresent(sm -> scrub(s, sm, "periodic pass"));
          }
          nextPassNanos = System.nanoTime() + policy.interval().toNanos();
        }
        Thread.sleep(TICK_MILLIS);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.warn("scrubber: {}", e.toString());
      }
    }
  }

  private void scrub(int shard, ShardStateMachine sm, String why) {
    if (sm.failure().isPresent()) {
      return; // already stopped or known corrupt: nothing a scan can add
    }
    long start = System.nanoTime();
    ScrubResult result;
    try {
      result = sm.scrub(new ScrubRate(policy.bytesPerSecond(), () -> running));
    } catch (StoreClosedException e) {
      return; // the replica is closing or being replaced; a restore sets a new check
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    metrics.counter(MetricNames.scrubBytes()).inc(result.bytesScanned());
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    if (result.computed().isEmpty()) {
      metrics.counter(MetricNames.scrubPasses(shard, "gave_way")).inc();
      if (running) {
        retryAtNanos[shard] = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS);
        retryPending[shard] = true;
        LOG.info("shard {}: scrub ({}) gave way after {} bytes (map resize or restart); retrying later",
            shard, why, result.bytesScanned());
      }
      return;
    }
    if (result.matches()) {
      metrics.counter(MetricNames.scrubPasses(shard, "match")).inc();
      LOG.info("shard {}: scrub ({}) matches the digest at {}: {} pairs, {} bytes in {} ms", shard, why,
          result.at().map(Object::toString).orElse("none"), result.stored().pairs(), result.bytesScanned(), millis);
      return;
    }
    metrics.counter(MetricNames.scrubPasses(shard, "mismatch")).inc();
    String reason = "scrub (" + why + ") at " + result.at().map(Object::toString).orElse("none")
        + " computed " + result.computed().get() + " from the data, but the replica's digest is " + result.stored();
    sm.markDataCorrupt(reason);
    if (!policy.resync()) {
      LOG.error("shard {}: replica corrupt; automatic re-sync is off: run Admin RemoveReplica and then AddReplica "
          + "for this node to replace it from the leader", shard);
      return;
    }
    if (!resync.resync(shard)) {
      LOG.error("shard {}: replica corrupt and not re-synced automatically (see above); run Admin RemoveReplica "
          + "and then AddReplica for this node once its peers are healthy", shard);
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
