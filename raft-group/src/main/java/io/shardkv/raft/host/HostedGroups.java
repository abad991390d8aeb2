package io.shardkv.raft.host;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.bootstrap.GroupProbe;
import io.shardkv.raft.bootstrap.PlacedGroupBootstrap;
import io.shardkv.raft.coldstart.ColdStartReport;
import io.shardkv.raft.readiness.StartupTimeline;
import io.shardkv.raft.replica.ReplicaSettings;
import io.shardkv.raft.replica.ShardStateMachine;
import io.shardkv.raft.snapshot.SnapshotFetcher;
import io.shardkv.raft.topology.GroupIds;
import io.shardkv.raft.topology.ShardPlacement;
import io.shardkv.store.AppliedIndexReader;
import io.shardkv.store.CrashPoints;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shard groups this node hosts, through their life: each replica's state machine as Ratis
 * creates it, the groups joined or created at start ({@link ShardPlacement}, and
 * {@link PlacedGroupBootstrap} where nodes hold only some shards), and the replicas an admin
 * removed since ({@link RemovedReplicas}), so that "hosted" means the same everywhere.
 */
final class HostedGroups implements AutoCloseable {
  /** The host's decisions keep the host's logger name, which operators grep for. */
  private static final Logger LOG = LoggerFactory.getLogger(ShardGroupHost.class);
  /** How long a new node waits for the other replicas of a new cluster to answer. */
  private static final Duration BOOTSTRAP_WAIT = Duration.ofSeconds(60);

  private final GroupHostConfig config;
  private final ReplicationPolicy policy;
  private final SnapshotFetcher fetcher;
  private final CrashPoints crashPoints;
  private final MetricRegistry metrics;
  private final StartupTimeline timeline;
  private final GroupIds groupIds;
  private final ShardPlacement placement;
  private final RemovedReplicas removed;
  private final Map<RaftGroupId, Integer> shardByGroup = new HashMap<>();
  private final Map<Integer, ShardStateMachine> replicas = new ConcurrentHashMap<>();
  /** Shards whose group this node reloaded or joined at start (hosted unless removed since). */
  private final Set<Integer> joinedAtStart = ConcurrentHashMap.newKeySet();
  /** Snapshot copies and fetches of every replica, off the apply threads. */
  private final ExecutorService background = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "shardkv-snapshot");
    t.setDaemon(true);
    return t;
  });

  HostedGroups(GroupHostConfig config, ReplicationPolicy policy, SnapshotFetcher fetcher, CrashPoints crashPoints,
      MetricRegistry metrics, StartupTimeline timeline, GroupIds groupIds) {
    this.config = config;
    this.policy = policy;
    this.fetcher = fetcher;
    this.crashPoints = crashPoints;
    this.metrics = metrics;
    this.timeline = timeline;
    this.groupIds = groupIds;
    this.placement = config.placement();
    this.removed = new RemovedReplicas(config.dataDir().resolve("shards"));
    for (int s = 0; s < config.shardCount(); s++) {
      shardByGroup.put(groupIds.of(s), s);
    }
  }

  /** The state machine of shard group {@code groupId}'s replica here (Ratis's registry calls this). */
  ShardStateMachine newStateMachine(RaftGroupId groupId) {
    Integer shard = shardByGroup.get(groupId);
    if (shard == null) {
      // A group directory of another cluster id (or shard count) under this data dir.
      throw new IllegalStateException("Raft group " + groupId + " in " + config.dataDir()
          + " does not belong to cluster '" + config.clusterId() + "' with " + config.shardCount()
          + " shards: check shardkv.cluster-id and shardkv.shards, or point shardkv.data-dir elsewhere");
    }
    removed.clear(shard); // hosting the group (again)
    ReplicaSettings settings = new ReplicaSettings(removed.storeRoot(shard), config.store(),
        policy.snapshotsKept(), crashPoints, timeline);
    ShardStateMachine sm = new ShardStateMachine(shard, settings, fetcher, background, metrics, gone -> {
      replicas.remove(shard, gone);
      removed.markRemoved(shard);
    });
    replicas.put(shard, sm);
    return sm;
  }

  /**
   * At start, after the server reloaded the groups in its storage: joins the shard groups the
   * placement puts on this node and it has no copy of. With every node on every shard it joins
   * them outright; otherwise it asks the other nodes first ({@link PlacedGroupBootstrap}).
   */
  void joinPlacedGroups(NodeRaftServer server, List<RaftPeer> peers, Parameters tls) throws IOException {
    List<Integer> toBootstrap = new ArrayList<>();
    for (int shard = 0; shard < config.shardCount(); shard++) {
      RaftGroup group = RaftGroup.valueOf(groupIds.of(shard), placed(peers, shard));
      if (server.hosts(group.getGroupId())) {
        joinedAtStart.add(shard); // reloaded from this node's Raft storage
      } else if (removed.isRemoved(shard)) {
        LOG.info("node {}: not hosting shard {} (its replica here was removed by an admin)", config.nodeId(), shard);
      } else if (!placement.holds(config.nodeId(), shard)) {
        LOG.debug("node {}: shard {} is placed on {}", config.nodeId(), shard, placement.replicas(shard));
      } else if (placement.everyNodeHoldsEveryShard()) {
        server.join(group);
        joinedAtStart.add(shard);
      } else {
        toBootstrap.add(shard);
      }
    }
    if (toBootstrap.isEmpty()) {
      return;
    }
    try (GroupProbe probe = new GroupProbe(peers, tls, Duration.ofSeconds(2))) {
      new PlacedGroupBootstrap(config.nodeId(), peers, placement, groupIds, probe, BOOTSTRAP_WAIT)
          .run(toBootstrap, (shard, members) -> {
            server.join(RaftGroup.valueOf(groupIds.of(shard), members));
            joinedAtStart.add(shard);
          });
    }
  }

  /** The placement's members of {@code shard}, in the configured order. */
  List<RaftPeer> placed(List<RaftPeer> peers, int shard) {
    return peers.stream().filter(p -> placement.holds(p.getId().toString(), shard)).toList();
  }

  /**
   * Whether this node hosts a replica of {@code shard} now: one it reloaded or joined at start
   * or that an admin added since, and not one an admin removed.
   */
  boolean hosted(int shard) {
    return replicas.containsKey(shard) || (joinedAtStart.contains(shard) && !removed.isRemoved(shard));
  }

  /** The shards this node hosts now, ascending. */
  List<Integer> hostedShards() {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s < config.shardCount(); s++) {
      if (hosted(s)) {
        out.add(s);
      }
    }
    return out;
  }

  /** This node's replica of {@code shard} once Ratis created it; null otherwise. */
  ShardStateMachine replica(int shard) {
    return replicas.get(shard);
  }

  /** The replicas by shard, live (Ratis adds and removes them). */
  Map<Integer, ShardStateMachine> replicas() {
    return replicas;
  }

  /** The replicas an admin removed from this node. */
  RemovedReplicas removed() {
    return removed;
  }

  /** Where the replicas' snapshot copies and fetches run. */
  ExecutorService background() {
    return background;
  }

  /**
   * Applied-index readers of the shards this node hosts now (a replica removed by an admin is
   * not hosted; one that is starting or installing is, and reads as missing).
   */
  List<AppliedIndexReader> appliedIndexReaders() {
    List<AppliedIndexReader> readers = new ArrayList<>();
    for (int s = 0; s < config.shardCount(); s++) {
      int shard = s;
      if (!hosted(shard)) {
        continue;
      }
      readers.add(() -> Optional.ofNullable(replicas.get(shard))
          .flatMap(ShardStateMachine::durableAppliedIndex));
    }
    return readers;
  }

  /** The cold-start decisions of this node's replicas (those initialized so far). */
  List<ColdStartReport> coldStartReports() {
    List<ColdStartReport> reports = new ArrayList<>();
    for (int s = 0; s < config.shardCount(); s++) {
      Optional.ofNullable(replicas.get(s)).flatMap(ShardStateMachine::coldStart).ifPresent(reports::add);
    }
    return reports;
  }

  @Override
  public void close() {
    background.shutdownNow();
  }
}
