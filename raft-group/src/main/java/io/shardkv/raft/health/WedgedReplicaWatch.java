package io.shardkv.raft.health;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.readiness.ShardReadiness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a replica wedged at its group's first entry and has it rebuilt from the group.
 *
 * <p>Ratis 3.3.0 lets a follower commit a first entry (index 0) it does not share with the
 * leader: a heartbeat carries no previous entry once the leader retries from index 0, and the
 * follower then takes the leader's commit index as covering its own index 0 (pinned by
 * {@code RatisFirstEntryCommitTest}). It matters when a group is created on nodes that start
 * at different times and two of them briefly lead in different terms, each writing index 0. From then on the follower refuses the leader's entries
 * from index 0 ("already committed") and the leader's entries after index 0 ("previous entry not
 * found"), forever; its heartbeats keep arriving, so it never campaigns either. Seen once in
 * PlacementIT: a replica of a new 5-node cluster stayed {@code catching_up} at applied 0.
 *
 * <p>The signature: a leader is known and has committed past index 0, while this replica has
 * applied index 0 and nothing after it, and neither that nor the end of its log changes for the
 * timeout. Such a replica has applied nothing but its first configuration entry, and whatever
 * else its log holds is either not committed or held by a majority too, so replacing it with an
 * empty one that copies the leader's log loses nothing. One rebuild at a time; a shard whose
 * rebuild failed is tried again once the signature has held for another timeout.
 */
public final class WedgedReplicaWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WedgedReplicaWatch.class);

  /** Long enough that a replica about to receive the leader's log or snapshot is left alone. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

  private final int shards;
  private final IntFunction<Optional<ShardReadiness.Observation>> observe;
  private final IntPredicate rebuild;
  private final long timeoutNanos;
  private final LongSupplier nanoClock;
  private final long[] wedgedSince;
  private final long[] wedgedLogEnd;
  private final Counter rebuilt;
  private final Counter failed;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "shardkv-wedged-replica-watch");
    t.setDaemon(true);
    return t;
  });

  /**
   * @param observe a hosted shard's replica as this node sees it; empty for a shard not hosted here
   * @param rebuild replaces this node's replica of the shard with a fresh copy; true if it did
   */
  public WedgedReplicaWatch(int shards, IntFunction<Optional<ShardReadiness.Observation>> observe, IntPredicate rebuild,
      Duration timeout, LongSupplier nanoClock, MetricRegistry metrics) {
    this.shards = shards;
    this.observe = observe;
    this.rebuild = rebuild;
    this.timeoutNanos = timeout.toNanos();
    this.nanoClock = nanoClock;
    this.wedgedSince = new long[shards];
    Arrays.fill(wedgedSince, -1);
    this.wedgedLogEnd = new long[shards];
    this.rebuilt = metrics.counter(MetricNames.wedgedReplicaRebuilds("rebuilt"));
    this.failed = metrics.counter(MetricNames.wedgedReplicaRebuilds("failed"));
  }

  /** Whether {@code o} shows a replica wedged at its group's first entry (see the class comment). */
  static boolean wedged(ShardReadiness.Observation o) {
    return o.loaded() && o.failure() == null && o.leaderKnown()
        && o.applied() == 0 && o.lastLogIndex() >= 0 && o.committed() >= 1;
  }

  /** Checks every {@code interval} until closed. */
  public void start(Duration interval) {
    timer.scheduleWithFixedDelay(this::checkAll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** One check of every shard; returns the shards it rebuilt or tried to. */
  List<Integer> checkAll() {
    List<Integer> acted = new ArrayList<>();
    for (int shard = 0; shard < shards; shard++) {
      Optional<ShardReadiness.Observation> o;
      try {
        o = observe.apply(shard);
      } catch (RuntimeException e) {
        o = Optional.empty();
      }
      if (o.isEmpty() || !wedged(o.get())) {
        wedgedSince[shard] = -1;
        continue;
      }
      long now = nanoClock.getAsLong();
      if (wedgedSince[shard] < 0 || wedgedLogEnd[shard] != o.get().lastLogIndex()) {
        wedgedSince[shard] = now; // entries arriving mean the replica is moving: start over
        wedgedLogEnd[shard] = o.get().lastLogIndex();
        continue;
      }
      if (now - wedgedSince[shard] < timeoutNanos) {
        continue;
      }
      wedgedSince[shard] = -1;
      acted.add(shard);
      LOG.warn("shard {}: replica wedged at the group's first entry for {} s (applied 0, log ends at {}, leader's "
              + "commit index {}): rebuilding it from the group", shard, TimeUnit.NANOSECONDS.toSeconds(timeoutNanos),
          o.get().lastLogIndex(), o.get().committed());
      boolean ok;
      try {
        ok = rebuild.test(shard);
      } catch (RuntimeException e) {
        LOG.warn("shard {}: rebuilding the wedged replica failed: {}", shard, e.toString());
        ok = false;
      }
      (ok ? rebuilt : failed).inc();
    }
    return acted;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
