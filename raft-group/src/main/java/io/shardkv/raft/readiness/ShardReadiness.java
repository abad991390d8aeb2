package io.shardkv.raft.readiness;

import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each replica hosted on this node is doing until it may serve, and the one place that
 * decides that it may: a replica serves once a leader is known and it has applied the commit
 * index its group had when this node first heard of that leader (so a restarted node never
 * answers from a store that is behind what it had acknowledged). Phases, in the order a start
 * reaches them:
 * <ul>
 *   <li>{@code opening}: Ratis has not loaded the group yet (store open, cold-start gate, log
 *       load);</li>
 *   <li>{@code replaying}: applying entries that are already in this replica's own log, with
 *       the entries left, the rate and an estimate of the time left;</li>
 *   <li>{@code catching_up}: applying what the leader sends, with the lag to the group's commit
 *       index (unknown while no leader is known);</li>
 *   <li>{@code serving}: caught up; stays so for the life of the process;</li>
 *   <li>{@code failed}: the replica stopped applying after a store failure, or serves no reads
 *       because a scrub found its data corrupt.</li>
 * </ul>
 * Each change of a replica's phase is logged once. Thread-safe.
 */
public final class ShardReadiness {
  private static final Logger LOG = LoggerFactory.getLogger(ShardReadiness.class);

  /** A replica's phase; {@link #label()} is the name the API and metrics use. */
  public enum Phase {
    OPENING, REPLAYING, CATCHING_UP, SERVING, FAILED;

    /** Lower-case name, e.g. {@code catching_up}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One replica's readiness.
   *
   * @param entriesLeft replaying: entries of the local log still to apply; else 0
   * @param entriesPerSecond replaying: entries applied per second since the replay began
   * @param etaMillis replaying: estimated time left, if a rate is known
   * @param lagEntries catching up: commit index minus applied index; -1 while no leader is known
   * @param detail why the replica is in this phase, for people
   */
  public record Status(int shard, Phase phase, long entriesLeft, double entriesPerSecond,
      OptionalLong etaMillis, long lagEntries, String detail) {}

  /**
   * What the host reads from a replica's Raft division at one moment.
   *
   * @param loaded Ratis has loaded the group and its state machine is initialized
   * @param failure the store failure that stopped the replica, or null
   * @param leaderKnown the replica knows a leader of its group and has heard its commit index
   * @param applied last applied log index
   * @param committed the group's commit index as this replica knows it (the leader's, as the
   *     leader last reported it, which may be past the end of this replica's log)
   * @param lastLogIndex index of the last entry in this replica's log
   */
  public record Observation(boolean loaded, String failure, boolean leaderKnown, long applied,
      long committed, long lastLogIndex) {

    /** A replica whose group is not loaded yet. */
    public static Observation notLoaded() {
      return new Observation(false, null, false, -1, -1, -1);
    }
  }

  private final LongSupplier nanoClock;
  private final Phase[] phase;
  private final long[] phaseSinceNanos;
  private final long[] replayEnd;
  private final long[] replayStartApplied;
  private final long[] replayStartNanos;
  private final long[] catchUpTarget;

  /** Readiness of {@code shards} replicas, timed by {@link System#nanoTime()}. */
  public ShardReadiness(int shards) {
    this(shards, System::nanoTime);
  }

  ShardReadiness(int shards, LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.phase = new Phase[shards];
    this.phaseSinceNanos = new long[shards];
    this.replayEnd = new long[shards];
    this.replayStartApplied = new long[shards];
    this.replayStartNanos = new long[shards];
    this.catchUpTarget = new long[shards];
    Arrays.fill(phase, Phase.OPENING);
    Arrays.fill(phaseSinceNanos, nanoClock.getAsLong());
    Arrays.fill(replayEnd, -1);
    Arrays.fill(catchUpTarget, -1);
  }

  /** Folds in what {@code shard}'s replica looks like now and returns its readiness. */
  public synchronized Status observe(int shard, Observation o) {
    long now = nanoClock.getAsLong();
    Status status = classify(shard, o, now);
    if (status.phase() != phase[shard]) {
      LOG.info("shard {}: {} -> {} after {} ms ({})", shard, phase[shard].label(), status.phase().label(),
          TimeUnit.NANOSECONDS.toMillis(now - phaseSinceNanos[shard]), status.detail());
      phase[shard] = status.phase();
      phaseSinceNanos[shard] = now;
    }
    return status;
  }

  /** Whether {@code shard}'s replica has reached {@code serving} (it then stays there). */
  public synchronized boolean serving(int shard) {
    return phase[shard] == Phase.SERVING;
  }

  private Status classify(int shard, Observation o, long now) {
    if (o.failure() != null) {
      return new Status(shard, Phase.FAILED, 0, 0, OptionalLong.empty(), -1,
          "stopped: " + o.failure());
    }
    if (phase[shard] == Phase.SERVING) {
      return new Status(shard, Phase.SERVING, 0, 0, OptionalLong.empty(), Math.max(0, o.committed() - o.applied()),
          "applied " + o.applied());
    }
    if (!o.loaded()) {
      return new Status(shard, Phase.OPENING, 0, 0, OptionalLong.empty(), -1,
          "opening the store and the Raft log");
    }
    if (replayEnd[shard] < 0) {
      // The local log's end when the replica is first seen loaded: what replaying must reach.
      replayEnd[shard] = o.lastLogIndex();
      replayStartApplied[shard] = o.applied();
      replayStartNanos[shard] = now;
    }
    if (o.leaderKnown() && catchUpTarget[shard] < 0) {
      catchUpTarget[shard] = o.committed();
    }
    if (o.leaderKnown() && o.applied() >= catchUpTarget[shard]) {
      return new Status(shard, Phase.SERVING, 0, 0, OptionalLong.empty(), Math.max(0, o.committed() - o.applied()),
          "applied " + o.applied() + ", the commit index when the leader was first known was "
              + catchUpTarget[shard]);
    }
    // An uncommitted tail of the local log may be replaced by the leader: replay ends at the
    // commit index once one is known.
    long replayTo = o.leaderKnown() ? Math.min(replayEnd[shard], o.committed()) : replayEnd[shard];
    if (o.applied() < replayTo) {
      long left = replayTo - o.applied();
      double seconds = (now - replayStartNanos[shard]) / 1e9;
      double rate = seconds > 0 ? (o.applied() - replayStartApplied[shard]) / seconds : 0;
      OptionalLong eta = rate > 0 ? OptionalLong.of(Math.round(left / rate * 1000)) : OptionalLong.empty();
      String detail = left + " entries of the local log to apply"
          + (o.leaderKnown() ? "" : ", waiting for a leader to confirm they are committed");
      return new Status(shard, Phase.REPLAYING, left, rate, eta, -1, detail);
    }
    if (!o.leaderKnown()) {
      return new Status(shard, Phase.CATCHING_UP, 0, 0, OptionalLong.empty(), -1, "no leader known yet");
    }
    long lag = Math.max(0, o.committed() - o.applied());
    return new Status(shard, Phase.CATCHING_UP, 0, 0, OptionalLong.empty(), lag,
        "applied " + o.applied() + ", serves at " + catchUpTarget[shard] + "; the group's commit index is "
            + o.committed());
  }
}
