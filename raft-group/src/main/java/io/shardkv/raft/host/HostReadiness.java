package io.shardkv.raft.host;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.readiness.ShardReadiness;
import io.shardkv.raft.readiness.StartupTimeline;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this node has caught up and may serve: every hosted replica's phase as
 * {@link ShardReadiness} decides it from what {@link DivisionReader} observes, and the
 * per-shard readiness gauges operators watch (docs/operations.md). Never blocks on a group that
 * is still loading: that one reads as opening.
 */
final class HostReadiness {
  /** The host's decisions keep the host's logger name, which operators grep for. */
  private static final Logger LOG = LoggerFactory.getLogger(ShardGroupHost.class);

  private final GroupHostConfig config;
  private final ShardReadiness readiness;
  private final DivisionReader divisions;
  private final HostedGroups groups;
  private final StartupTimeline timeline;
  private final BooleanSupplier started;
  private final AtomicBoolean caughtUp = new AtomicBoolean();

  /** @param started whether the host has started (its server and client exist) */
  HostReadiness(GroupHostConfig config, DivisionReader divisions, HostedGroups groups, StartupTimeline timeline,
      BooleanSupplier started) {
    this.config = config;
    this.readiness = new ShardReadiness(config.shardCount());
    this.divisions = divisions;
    this.groups = groups;
    this.timeline = timeline;
    this.started = started;
  }

  /**
   * True once every hosted replica serves (a leader is known and the replica applied the commit
   * index its group had when this node first heard of it): the node has caught up and may
   * serve. Stays true.
   */
  boolean caughtUp() {
    if (caughtUp.get()) {
      return true;
    }
    if (!started.getAsBoolean()) {
      return false;
    }
    Map<Integer, ShardReadiness.Observation> observations = observeHosted();
    if (observations.values().stream().allMatch(ShardReadiness.Observation::leaderKnown)) {
      timeline.reached("leaders_known");
    }
    boolean all = true;
    for (Map.Entry<Integer, ShardReadiness.Observation> e : observations.entrySet()) {
      all &= readiness.observe(e.getKey(), e.getValue()).phase() == ShardReadiness.Phase.SERVING;
    }
    if (!all) {
      return false;
    }
    if (caughtUp.compareAndSet(false, true)) {
      timeline.reached("caught_up");
      LOG.info("node {}: every shard replica caught up; serving", config.nodeId());
    }
    return true;
  }

  /** The readiness of every replica this node hosts, by shard. */
  Map<Integer, ShardReadiness.Status> statuses() {
    Map<Integer, ShardReadiness.Status> statuses = new LinkedHashMap<>();
    observeHosted().forEach((shard, o) -> statuses.put(shard, readiness.observe(shard, o)));
    return statuses;
  }

  /** Whether {@code shard}'s replica here has reached {@code serving}. */
  boolean serving(int shard) {
    return readiness.serving(shard);
  }

  private Map<Integer, ShardReadiness.Observation> observeHosted() {
    Map<Integer, ShardReadiness.Observation> observations = new LinkedHashMap<>();
    for (int shard = 0; shard < config.shardCount(); shard++) {
      if (groups.hosted(shard)) {
        observations.put(shard, divisions.observe(shard));
      }
    }
    return observations;
  }

  /** Phase, replay and catch-up gauges per shard (see docs/operations.md). */
  void registerGauges(MetricRegistry metrics) {
    for (int s = 0; s < config.shardCount(); s++) {
      int shard = s;
      for (ShardReadiness.Phase phase : ShardReadiness.Phase.values()) {
        metrics.gauge(MetricNames.shardPhase(shard, phase.label()),
            () -> () -> statusOf(shard).map(r -> r.phase() == phase ? 1 : 0).orElse(0));
      }
      metrics.gauge(MetricNames.shardReplayEntriesLeft(shard),
          () -> () -> statusOf(shard).map(ShardReadiness.Status::entriesLeft).orElse(0L));
      metrics.gauge(MetricNames.shardCatchUpLagEntries(shard),
          () -> () -> statusOf(shard).map(ShardReadiness.Status::lagEntries).orElse(-1L));
    }
  }

  private Optional<ShardReadiness.Status> statusOf(int shard) {
    return !groups.hosted(shard) ? Optional.empty() : Optional.of(readiness.observe(shard, divisions.observe(shard)));
  }
}
