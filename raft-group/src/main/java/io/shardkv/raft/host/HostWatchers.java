package io.shardkv.raft.host;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.health.ReplicaScrubber;
import io.shardkv.raft.health.ScrubPolicy;
import io.shardkv.raft.health.ShardVerification;
import io.shardkv.raft.health.WedgedReplicaWatch;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.readiness.RaftLogFiles;
import io.shardkv.raft.readiness.ReplayBudget;
import io.shardkv.raft.readiness.ReplayBudgetSnapshots;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background watchers over this node's replicas, and the repairs they start: snapshots that
 * keep a restart's log replay within the {@link ReplayBudget}, the {@link WedgedReplicaWatch}
 * (rebuilds a replica stuck at its group's first entry) and the {@link ReplicaScrubber}
 * (re-syncs a replica whose data no longer matches its digest). A repair replaces this node's
 * replica: removed from its group, which deletes its data here, and added back empty.
 */
final class HostWatchers implements AutoCloseable {
  /** The host's decisions keep the host's logger name, which operators grep for. */
  private static final Logger LOG = LoggerFactory.getLogger(ShardGroupHost.class);
  private static final Duration REPLAY_BUDGET_CHECK_INTERVAL = Duration.ofSeconds(1);
  private static final Duration WEDGE_CHECK_INTERVAL = Duration.ofSeconds(1);

  /** Removes this node's replica of a shard from its group and adds it back. */
  @FunctionalInterface
  interface ReplicaReplacer {
    void replace(int shard) throws IOException;
  }

  /** Admin VerifyShard for one shard: every replica's digest compared. */
  @FunctionalInterface
  interface Verifier {
    ShardVerification verify(int shard) throws IOException, InterruptedException;
  }

  private final GroupHostConfig config;
  private final ReplicationPolicy policy;
  private final MetricRegistry metrics;
  private final HostedGroups groups;
  private final DivisionReader divisions;
  private final HostReadiness readiness;
  private ReplayBudgetSnapshots replaySnapshots;
  private WedgedReplicaWatch wedgeWatch;
  private ReplicaScrubber scrubber;

  HostWatchers(GroupHostConfig config, ReplicationPolicy policy, MetricRegistry metrics, HostedGroups groups,
      DivisionReader divisions, HostReadiness readiness) {
    this.config = config;
    this.policy = policy;
    this.metrics = metrics;
    this.groups = groups;
    this.divisions = divisions;
    this.readiness = readiness;
    // Present from the start, so dashboards and alerts see zeros rather than no series.
    for (ShardVerification.Result r : ShardVerification.Result.values()) {
      metrics.counter(MetricNames.verifyChecks(r.label()));
    }
    metrics.counter(MetricNames.scrubBytes());
    for (int s = 0; s < config.shardCount(); s++) {
      for (String result : List.of("match", "mismatch", "gave_way")) {
        metrics.counter(MetricNames.scrubPasses(s, result));
      }
    }
  }

  /** Starts the replay-budget snapshots and the wedged-replica watch (the scrubber starts on its own). */
  synchronized void start(ReplayBudget budget, IntFunction<CompletableFuture<?>> takeSnapshot,
      ReplicaReplacer replacer) {
    replaySnapshots = new ReplayBudgetSnapshots(budget, config.shardCount(), policy.logPurgeGap(),
        this::logTail, this::raftLogBytes, takeSnapshot, metrics);
    replaySnapshots.start(REPLAY_BUDGET_CHECK_INTERVAL);
    wedgeWatch = new WedgedReplicaWatch(config.shardCount(),
        shard -> groups.hosted(shard) ? Optional.of(divisions.observe(shard)) : Optional.empty(),
        shard -> rebuildWedgedReplica(shard, replacer), WedgedReplicaWatch.DEFAULT_TIMEOUT, System::nanoTime,
        metrics);
    wedgeWatch.start(WEDGE_CHECK_INTERVAL);
  }

  /** Starts the scrubber with {@code policy}; a corrupt replica is re-synced through {@code replacer}. */
  synchronized void startScrubber(ScrubPolicy policy, Verifier verifier, ReplicaReplacer replacer) {
    if (scrubber != null) {
      throw new IllegalStateException("scrubber already started");
    }
    scrubber = new ReplicaScrubber(policy, config.shardCount(),
        shard -> !groups.hosted(shard) ? Optional.empty() : Optional.ofNullable(groups.replica(shard)),
        shard -> resyncCorruptReplica(shard, verifier, replacer), metrics);
    scrubber.start();
  }

  /** Every group's Raft log on this node (what a restart loads), for the replay budget; -1 unreadable. */
  private long raftLogBytes() {
    try {
      return RaftLogFiles.bytesUnder(config.raftDir());
    } catch (IOException e) {
      return -1;
    }
  }

  /** A serving replica's retained Raft log, for the replay budget; empty otherwise. */
  private Optional<ReplayBudgetSnapshots.Tail> logTail(int shard) {
    return !groups.hosted(shard) || !readiness.serving(shard) ? Optional.empty() : divisions.logTail(shard);
  }

  /**
   * Replaces this node's corrupt replica of {@code shard} with a fresh copy from its group: only
   * when every other replica answers and they agree with each other, so the group keeps a
   * majority of good replicas throughout; otherwise leaves it to the operator.
   */
  private boolean resyncCorruptReplica(int shard, Verifier verifier, ReplicaReplacer replacer) {
    try {
      ShardVerification v = verifier.verify(shard);
      List<ShardVerification.Replica> others = v.replicas().stream()
          .filter(r -> !r.node().equals(config.nodeId())).toList();
      if (others.isEmpty() || !others.stream().allMatch(r -> r.state() == ShardVerification.ReplicaState.MATCHES)) {
        LOG.error("shard {}: not re-syncing the corrupt replica on {}: its peers do not all answer and agree ({})",
            shard, config.nodeId(), v.replicas());
        return false;
      }
      replacer.replace(shard);
      LOG.info("shard {}: corrupt replica on {} re-synced: removed from its group and added back; it catches up "
          + "from the leader's snapshot or log", shard, config.nodeId());
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.error("shard {}: re-sync of the corrupt replica on {} failed: {}", shard, config.nodeId(), e.toString());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Replaces a replica {@link WedgedReplicaWatch} found wedged at its group's first entry. It
   * holds nothing but that entry, and a digest check could not compare it with the others, so
   * there is none: removing it leaves the group the replicas that did all its work.
   */
  private boolean rebuildWedgedReplica(int shard, ReplicaReplacer replacer) {
    try {
      replacer.replace(shard);
      LOG.info("shard {}: wedged replica on {} rebuilt: removed from its group and added back empty; it copies the "
          + "leader's log", shard, config.nodeId());
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.error("shard {}: rebuilding the wedged replica on {} failed: {}", shard, config.nodeId(), e.toString());
      return false;
    }
  }

  @Override
  public synchronized void close() {
    if (scrubber != null) {
      scrubber.close();
    }
    if (replaySnapshots != null) {
      replaySnapshots.close();
    }
    if (wedgeWatch != null) {
      wedgeWatch.close();
    }
  }
}
