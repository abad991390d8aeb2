package io.shardkv.raft.host;

import io.shardkv.raft.ratis.RatisClientSettings;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.store.AppliedIndexReader;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.CrashPoints;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.shardkv.control.map.CachingMapAccess;
import io.shardkv.control.membership.ClusterJoiner;
import io.shardkv.control.map.ClusterMapClient;
import io.shardkv.control.map.ClusterMapRules;
import io.shardkv.control.map.ClusterMapStateMachine;
import io.shardkv.control.map.ClusterMapView;
import io.shardkv.raft.coldstart.ColdStartReport;
import io.shardkv.control.placement.FreshAdministration;
import io.shardkv.raft.bootstrap.GroupBootstrap;
import io.shardkv.raft.topology.GroupIds;
import io.shardkv.raft.bootstrap.GroupProbe;
import io.shardkv.control.placement.LeaderBalancer;
import io.shardkv.raft.routing.LocalDivisions;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.topology.NodeDirectory;
import io.shardkv.control.membership.NodeDrainer;
import io.shardkv.raft.topology.PeerAddress;
import io.shardkv.raft.bootstrap.PlacedGroupBootstrap;
import io.shardkv.control.placement.PlacementController;
import io.shardkv.control.placement.PlacementPolicy;
import io.shardkv.raft.client.ProposalCoalescer;
import io.shardkv.raft.client.ProposalPolicy;
import io.shardkv.raft.readiness.RaftLogFiles;
import io.shardkv.raft.routing.RatisShardGroupClient;
import io.shardkv.raft.readiness.ReplayBudget;
import io.shardkv.raft.readiness.ReplayBudgetSnapshots;
import io.shardkv.raft.health.ReplicaScrubber;
import io.shardkv.raft.replica.ReplicaSettings;
import io.shardkv.raft.health.ScrubPolicy;
import io.shardkv.raft.client.ShardGroupClient;
import io.shardkv.raft.topology.ShardPlacement;
import io.shardkv.raft.readiness.ShardReadiness;
import io.shardkv.raft.replica.ShardStateMachine;
import io.shardkv.raft.client.ShardUnavailableException;
import io.shardkv.raft.health.ShardVerification;
import io.shardkv.raft.health.ShardVerifier;
import io.shardkv.raft.snapshot.SnapshotArtifact;
import io.shardkv.raft.snapshot.SnapshotFetcher;
import io.shardkv.raft.snapshot.SnapshotTransferService;
import io.shardkv.raft.readiness.StartupTimeline;
import io.shardkv.raft.health.WedgedReplicaWatch;

/**
 * One node's Ratis server hosting its replicas of the shard groups placed on it ({@link
 * ShardPlacement}: every group when the cluster has no more nodes than the replication factor),
 * each over its own LMDB store. Start it, then use {@link #client()} to reach every group,
 * hosted here or not.
 *
 * <p>Groups persist in the Ratis storage directory: on restart Ratis reloads them and this
 * class only adds the groups that are not there yet (a fresh node; see {@link GroupBootstrap}
 * for how it does so safely when nodes hold only some shards).
 */
public final class ShardGroupHost implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardGroupHost.class);
  private static final long RETRY_SLEEP_MS = 100;

  private final GroupHostConfig config;
  private final ReplicationPolicy policy;
  private final SnapshotFetcher fetcher;
  private final CrashPoints crashPoints;
  private final MetricRegistry metrics;
  private final ExecutorService background = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "shardkv-snapshot");
    t.setDaemon(true);
    return t;
  });
  private final GroupIds groupIds;
  private final RemovedReplicas removed;
  private final Map<RaftGroupId, Integer> shardByGroup = new HashMap<>();
  private final Map<Integer, ShardStateMachine> replicas = new ConcurrentHashMap<>();
  /** Shards whose group this node reloaded or joined at start (hosted unless removed since). */
  private final java.util.Set<Integer> joinedAtStart = ConcurrentHashMap.newKeySet();
  private final ShardPlacement placement;
  /** How long a new node waits for the other replicas of a new cluster to answer. */
  private static final Duration BOOTSTRAP_WAIT = Duration.ofSeconds(60);
  private final ShardReadiness readiness;
  private final DivisionReader divisions;
  private final ReplayBudget replayBudget;
  private ReplayBudgetSnapshots replaySnapshots;
  private WedgedReplicaWatch wedgeWatch;
  private static final Duration REPLAY_BUDGET_CHECK_INTERVAL = Duration.ofSeconds(1);
  private static final Duration WEDGE_CHECK_INTERVAL = Duration.ofSeconds(1);
  private final AtomicBoolean caughtUp = new AtomicBoolean();
  private volatile RaftServer server;
  private List<RaftClient> raftClients = List.of();
  private final ProposalPolicy proposals;
  private RatisShardGroupClient raftClient;
  private volatile ShardGroupClient client;
  private LeaderBalancer balancer;
  private ReplicaScrubber scrubber;
  private final StartupTimeline timeline;
  private final NodeDirectory directory;
  /** Each shard's members as last read from another node: asked first next time (see ShardAdministration). */
  private final Map<Integer, List<String>> memberHints = new ConcurrentHashMap<>();
  private final ClusterMapView mapView;
  private ClusterMapClient mapClient;
  private PlacementController controller;
  /** How often every node reads the cluster map from the meta group. */
  private static final Duration MAP_REFRESH_INTERVAL = Duration.ofSeconds(1);
  /** How long a joining node keeps asking the seeds to add it to the cluster map. */
  private static final Duration JOIN_WAIT = Duration.ofSeconds(60);
  /** A balancing transfer gives up after this; writes to the shard wait at most as long. */
  private static final Duration BALANCE_TRANSFER_TIMEOUT = Duration.ofSeconds(1);
  /** A replica further behind its group's commit index than this does not claim leadership. */
  private static final long BALANCE_MAX_LAG_ENTRIES = 64;

  /** A host with default replication policy and no snapshot transfer (tests, single node). */
  public ShardGroupHost(GroupHostConfig config, MetricRegistry metrics) {
    this(config, ReplicationPolicy.defaults(), SnapshotFetcher.unavailable(), CrashPoints.disabled(), metrics);
  }

  /**
   * @param fetcher how a follower fetches a leader's snapshot artifact
   * @param crashPoints fault injection for crash tests ({@link CrashPoints#disabled()} otherwise)
   */
  public ShardGroupHost(GroupHostConfig config, ReplicationPolicy policy, SnapshotFetcher fetcher,
      CrashPoints crashPoints, MetricRegistry metrics) {
    this(config, policy, ProposalPolicy.defaults(), fetcher, crashPoints, metrics);
  }

  /** @param proposals how concurrent commands to one shard are coalesced into entries */
  public ShardGroupHost(GroupHostConfig config, ReplicationPolicy policy, ProposalPolicy proposals,
      SnapshotFetcher fetcher, CrashPoints crashPoints, MetricRegistry metrics) {
    this(config, policy, proposals, fetcher, crashPoints, metrics, new StartupTimeline(metrics));
  }

  /** @param timeline where this host and its replicas report their start-up phases */
  public ShardGroupHost(GroupHostConfig config, ReplicationPolicy policy, ProposalPolicy proposals,
      SnapshotFetcher fetcher, CrashPoints crashPoints, MetricRegistry metrics, StartupTimeline timeline) {
    this(config, policy, proposals, fetcher, crashPoints, metrics, timeline, NodeDirectory.of(config));
  }

  /** @param directory the addresses of the nodes, shared with whatever else connects to them */
  public ShardGroupHost(GroupHostConfig config, ReplicationPolicy policy, ProposalPolicy proposals,
      SnapshotFetcher fetcher, CrashPoints crashPoints, MetricRegistry metrics, StartupTimeline timeline,
      NodeDirectory directory) {
    this(config, policy, proposals, fetcher, crashPoints, metrics, timeline, directory, new ClusterMapView(directory));
  }

  /**
   * @param mapView this node's cached cluster map (built on {@code directory}), shared with the
   *     gRPC interceptors that tell peers its version and hear theirs
   */
  public ShardGroupHost(GroupHostConfig config, ReplicationPolicy policy, ProposalPolicy proposals,
      SnapshotFetcher fetcher, CrashPoints crashPoints, MetricRegistry metrics, StartupTimeline timeline,
      NodeDirectory directory, ClusterMapView mapView) {
    this.timeline = timeline;
    this.proposals = proposals;
    this.config = config;
    this.policy = policy;
    this.fetcher = fetcher;
    this.crashPoints = crashPoints;
    this.metrics = metrics;
    this.groupIds = new GroupIds(config.clusterId());
    this.placement = config.placement();
    this.directory = directory;
    this.mapView = mapView;
    this.removed = new RemovedReplicas(config.dataDir().resolve("shards"));
    for (int s = 0; s < config.shardCount(); s++) {
      shardByGroup.put(groupIds.of(s), s);
    }
    this.readiness = new ShardReadiness(config.shardCount());
    this.divisions = new DivisionReader(() -> server, groupIds, replicas);
    this.replayBudget = new ReplayBudget(policy.maxReplay());
    registerReadinessGauges();
    metrics.gauge(MetricNames.nodeReplicas(), () -> () -> hostedShards().size());
    metrics.gauge(MetricNames.clusterMapVersion(), () -> mapView::version);
    metrics.gauge(MetricNames.nodeLeaders(), () -> () -> (int) hostedShards().stream()
        .filter(s -> leaderOf(s).filter(config.nodeId()::equals).isPresent()).count());
    // Present from the start, so dashboards and alerts see zeros rather than no series.
    for (ShardVerification.Result r : ShardVerification.Result.values()) {
      metrics.counter(MetricNames.verifyChecks(r.label()));
    }
    metrics.counter(MetricNames.scrubBytes());
    for (String result : List.of("started", "finished", "failed", "rolled_back")) {
      metrics.counter(MetricNames.replicaMoves(result));
    }
    for (int s = 0; s < config.shardCount(); s++) {
      for (String result : List.of("match", "mismatch", "gave_way")) {
        metrics.counter(MetricNames.scrubPasses(s, result));
      }
    }
  }

  /** Opens the stores, starts the Ratis server and joins the shard groups placed on this node. */
  public synchronized void start() throws IOException {
    List<RaftPeer> peers = config.peers().stream().map(ShardGroupHost::raftPeer).toList();
    if (placement.replicationFactor() < config.replicationFactor()) {
      LOG.warn("node {}: replication factor {} but only {} node(s) in peers: each shard has {} replica(s)",
          config.nodeId(), config.replicationFactor(), peers.size(), placement.replicationFactor());
    }
    RaftPeerId self = RaftPeerId.valueOf(config.nodeId());
    Parameters tlsParameters = RatisClientSettings.parameters(config.peerTls());
    server = RaftServer.newBuilder()
        .setServerId(self)
        .setProperties(RatisServerSettings.server(config, policy))
        .setParameters(tlsParameters)
        .setStateMachineRegistry(this::newStateMachine)
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    long logBytes = RaftLogFiles.bytesUnder(config.raftDir());
    long startNanos = System.nanoTime();
    server.start();
    long startedNanos = System.nanoTime() - startNanos;
    // The cold-start gates (a restore, at worst) run inside server.start().
    replayBudget.recordStart(logBytes, startedNanos, TimeUnit.MILLISECONDS.toNanos(
        coldStartReports().stream().mapToLong(ColdStartReport::durationMillis).max().orElse(0)));
    LOG.info("node {}: Raft server started in {} ms, loading raft_log_bytes={} ({} MiB); replay estimate rate {} MiB/s",
        config.nodeId(), TimeUnit.NANOSECONDS.toMillis(startedNanos), logBytes, logBytes >> 20,
        replayBudget.loadBytesPerSecond() >> 20);
    timeline.reached("raft_started");
    List<RaftPeer> metaMembers = config.metaMembers().stream().map(ShardGroupHost::raftPeer).toList();
    if (metaMembers.stream().anyMatch(p -> p.getId().equals(self))) {
      joinGroup(self, RaftGroup.valueOf(groupIds.meta(), metaMembers)); // the cluster map's group
    }
    mapClient = new ClusterMapClient(groupIds.meta(), metaMembers, tlsParameters, config.requestTimeout());

    List<RaftClient> clients = new ArrayList<>();
    RaftProperties clientProps = RatisClientSettings.client(config.requestTimeout());
    int attempts = (int) Math.max(1, config.requestTimeout().toMillis() / RETRY_SLEEP_MS);
    List<Integer> toBootstrap = new ArrayList<>();
    List<List<RaftPeerId>> candidates = new ArrayList<>();
    for (int shard = 0; shard < config.shardCount(); shard++) {
      RaftGroup group = RaftGroup.valueOf(groupIds.of(shard), placed(peers, shard));
      if (hosts(group.getGroupId())) {
        joinedAtStart.add(shard); // reloaded from this node's Raft storage
      } else if (removed.isRemoved(shard)) {
        LOG.info("node {}: not hosting shard {} (its replica here was removed by an admin)", config.nodeId(), shard);
      } else if (!placement.holds(config.nodeId(), shard)) {
        LOG.debug("node {}: shard {} is placed on {}", config.nodeId(), shard, placement.replicas(shard));
      } else if (placement.everyNodeHoldsEveryShard()) {
        joinGroup(self, group);
        joinedAtStart.add(shard);
      } else {
        toBootstrap.add(shard);
      }
      // The client knows every node (members change): the shard's preferred leader first.
      List<RaftPeer> order = candidates(peers, shard);
      candidates.add(order.stream().map(RaftPeer::getId).toList());
      clients.add(RaftClient.newBuilder()
          .setProperties(clientProps)
          .setParameters(tlsParameters)
          .setRaftGroup(RaftGroup.valueOf(groupIds.of(shard), order))
          .setClientId(ClientId.randomId())
          .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
              attempts, TimeDuration.valueOf(RETRY_SLEEP_MS, TimeUnit.MILLISECONDS)))
          .build());
    }
    raftClients = List.copyOf(clients);
    bootstrapPlacedGroups(self, peers, tlsParameters, toBootstrap);
    raftClient = new RatisShardGroupClient(clients, replicas::get, new LocalDivisions(server, groupIds),
        candidates, config.requestTimeout(), metrics);
    // Nodes the cluster map adds: their addresses reach every shard's client (after the
    // listener is in place, so none is missed; adding one twice does nothing).
    directory.onNewNode(p -> raftClient.addNode(raftPeer(p)));
    directory.all().stream().filter(p -> !config.peers().contains(p)).forEach(p -> raftClient.addNode(raftPeer(p)));
    mapView.offer(localMap());
    mapView.startRefreshing(mapClient::read, MAP_REFRESH_INTERVAL);
    if (config.joinAs().isPresent()) {
      new ClusterJoiner(mapAccess(), JOIN_WAIT).join(config.joinAs().get(),
          config.metaMembers().stream().map(PeerAddress::id).toList());
    }
    client = new ProposalCoalescer(raftClient, proposals, metrics);
    if (!config.leaderBalanceInterval().isZero()) {
      // Only while the cluster has the nodes it was created with: once nodes joined or left,
      // the placement controller spreads leaderships instead (the two would fight).
      balancer = new LeaderBalancer(config.nodeId(), placement, this::leaderOf, this::caughtUp,
          shard -> creationLayout() && claimLeadership(shard));
      balancer.start(config.leaderBalanceInterval());
    }
    replaySnapshots = new ReplayBudgetSnapshots(replayBudget, config.shardCount(), policy.logPurgeGap(),
        this::logTail, this::raftLogBytes, this::takeSnapshot, metrics);
    replaySnapshots.start(REPLAY_BUDGET_CHECK_INTERVAL);
    wedgeWatch = new WedgedReplicaWatch(config.shardCount(),
        shard -> hosted(shard) ? Optional.of(divisions.observe(shard)) : Optional.empty(),
        this::rebuildWedgedReplica, WedgedReplicaWatch.DEFAULT_TIMEOUT, System::nanoTime, metrics);
    wedgeWatch.start(WEDGE_CHECK_INTERVAL);
    LOG.info("node {}: hosting shards {} of the {} of cluster '{}' (replication factor {}) with peers {}",
        config.nodeId(), hostedShards(), config.shardCount(), config.clusterId(), placement.replicationFactor(),
        config.peers());
  }

  private static RaftPeer raftPeer(PeerAddress p) {
    return RaftPeer.newBuilder().setId(p.id()).setAddress(p.raftAddress()).build();
  }

  /** The cluster map as this node's own meta replica has applied it; empty if it holds none. */
  private io.shardkv.api.internal.v1.ClusterMap localMap() {
    try {
      return server.getDivision(groupIds.meta()).getStateMachine() instanceof ClusterMapStateMachine m
          ? m.map() : ClusterMapRules.empty();
    } catch (IOException e) {
      return ClusterMapRules.empty();
    }
  }

  /** The meta group's leader as this node's meta replica knows it; empty if it holds none or none is known. */
  public Optional<String> clusterMapLeader() {
    try {
      RaftPeerId leader = server.getDivision(groupIds.meta()).getInfo().getLeaderId();
      return leader == null ? Optional.empty() : Optional.of(leader.toString());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Whether this node's meta replica leads the meta group (where the placement controller acts). */
  private boolean leadsMetaGroup() {
    try {
      return server.getDivision(groupIds.meta()).getInfo().isLeader();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** True while the cluster map lists exactly the nodes the cluster was created with (or none yet). */
  private boolean creationLayout() {
    var map = mapView.current();
    return map.getVersion() == 0 || map.getNodesList().stream().map(n -> n.getId()).sorted().toList()
        .equals(config.peers().stream().map(PeerAddress::id).sorted().toList());
  }

  /**
   * Starts the placement controller (see {@link PlacementController}) with {@code policy}: it
   * acts while this node leads the meta group. Valid after {@link #start()}; stopped by {@link #close()}.
   */
  public synchronized void startPlacementController(PlacementPolicy policy) {
    if (server == null || controller != null) {
      throw new IllegalStateException(server == null ? "host not started" : "controller already started");
    }
    if (!policy.enabled()) {
      LOG.info("node {}: placement controller off (placement.check-interval = 0): replicas are placed by hand",
          config.nodeId());
      return;
    }
    List<io.shardkv.api.internal.v1.MapNode> seeds = config.peers().stream().map(PeerAddress::toMapNode).toList();
    controller = new PlacementController(mapAccess(), new FreshAdministration(this::administration),
        this::leadsMetaGroup,
        () -> !creationLayout(), seeds, config.shardCount(),
        config.replicationFactor(), policy, metrics, System::currentTimeMillis);
    controller.start();
  }

  /** The meta group's client, every map it returns also offered to this node's cached view. */
  private PlacementController.MapAccess mapAccess() {
    return new CachingMapAccess(mapClient, mapView);
  }

  /** The cluster map as this node last saw it (version 0 before it has seen one). */
  public io.shardkv.api.internal.v1.ClusterMap clusterMap() {
    return mapView.current();
  }

  /**
   * Reads and changes the cluster map (admin calls); every map it returns also refreshes this
   * node's cached view, so a change shows in ClusterStatus here at once. Valid after {@link #start()}.
   */
  public PlacementController.MapAccess clusterMapAccess() {
    return mapAccess();
  }

  /** The placement's members of {@code shard}, in the configured order. */
  private List<RaftPeer> placed(List<RaftPeer> peers, int shard) {
    return peers.stream().filter(p -> placement.holds(p.getId().toString(), shard)).toList();
  }

  /**
   * Every node, in the order to try them for {@code shard}: with every node on every shard the
   * configured order (as clusters always had); otherwise the preferred leader, the other placed
   * replicas, then the rest (replicas move).
   */
  private List<RaftPeer> candidates(List<RaftPeer> peers, int shard) {
    if (placement.everyNodeHoldsEveryShard()) {
      return peers;
    }
    List<RaftPeer> ordered = new ArrayList<>();
    peers.stream().filter(p -> p.getId().toString().equals(placement.preferredLeader(shard))).forEach(ordered::add);
    placed(peers, shard).stream().filter(p -> !ordered.contains(p)).forEach(ordered::add);
    peers.stream().filter(p -> !ordered.contains(p)).forEach(ordered::add);
    return ordered;
  }

  /** Hosts the placed groups this node has no copy of, as {@link PlacedGroupBootstrap} decides. */
  private void bootstrapPlacedGroups(RaftPeerId self, List<RaftPeer> peers, Parameters tls, List<Integer> shards)
      throws IOException {
    if (shards.isEmpty()) {
      return;
    }
    try (GroupProbe probe = new GroupProbe(peers, tls, Duration.ofSeconds(2))) {
      new PlacedGroupBootstrap(config.nodeId(), peers, placement, groupIds, probe, BOOTSTRAP_WAIT)
          .run(shards, (shard, members) -> {
            joinGroup(self, RaftGroup.valueOf(groupIds.of(shard), members));
            joinedAtStart.add(shard);
          });
    }
  }

  /**
   * Whether this node hosts a replica of {@code shard} now: one it reloaded or joined at start
   * or that an admin added since, and not one an admin removed.
   */
  private boolean hosted(int shard) {
    return replicas.containsKey(shard) || (joinedAtStart.contains(shard) && !removed.isRemoved(shard));
  }

  /** The shards this node hosts now, ascending. */
  public List<Integer> hostedShards() {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s < config.shardCount(); s++) {
      if (hosted(s)) {
        out.add(s);
      }
    }
    return out;
  }

  private Optional<String> leaderOf(int shard) {
    RaftServer s = server;
    if (s == null) {
      return Optional.empty(); // not started (a metrics scrape can come first)
    }
    try {
      RaftServer.Division division = s.getDivision(groupIds.of(shard));
      RaftPeerId leader = division.getInfo().getLeaderId();
      return leader == null ? Optional.empty() : Optional.of(leader.toString());
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // not hosted here, or closed by Ratis after a failed apply
    }
  }

  /**
   * The balancer's claim: only for a replica that is nearly caught up, and with a short
   * transfer timeout, because the leader refuses writes while it waits for the target (a
   * claim by a lagging replica under a bulk load stalled the shard's writes for the whole
   * request timeout).
   */
  private boolean claimLeadership(int shard) {
    try {
      RaftServer.Division division = server.getDivision(groupIds.of(shard));
      long lag = division.getRaftLog().getLastCommittedIndex() - division.getInfo().getLastAppliedIndex();
      if (lag > BALANCE_MAX_LAG_ENTRIES) {
        LOG.debug("shard {}: not claiming leadership, this replica is {} entries behind", shard, lag);
        return false;
      }
      administration().transferLeader(shard, config.nodeId(), BALANCE_TRANSFER_TIMEOUT);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.debug("shard {}: leadership transfer to {} failed: {}", shard, config.nodeId(), e.toString());
      return false;
    }
  }

  private boolean hosts(RaftGroupId groupId) throws IOException {
    for (RaftGroupId existing : server.getGroupIds()) {
      if (existing.equals(groupId)) {
        return true;
      }
    }
    return false;
  }

  private void joinGroup(RaftPeerId self, RaftGroup group) throws IOException {
    if (hosts(group.getGroupId())) {
      return; // reloaded from this node's Raft storage
    }
    RaftClientReply reply;
    try {
      reply = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(), self, 0, group));
    } catch (AlreadyExistsException e) {
      return;
    }
    if (!reply.isSuccess()) {
      throw new IOException("could not add group " + group.getGroupId() + ": " + reply.getException(),
          reply.getException());
    }
  }

  private StateMachine newStateMachine(RaftGroupId groupId) {
    if (groupId.equals(groupIds.meta())) {
      return new ClusterMapStateMachine(mapView::offer);
    }
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

  /** This node's Ratis server (for tests in this package); null before {@link #start()}. */
  RaftServer raftServer() {
    return server;
  }

  /** Reaches the groups (leader routing, retries, timeouts). Valid after {@link #start()}. */
  public ShardGroupClient client() {
    return client;
  }

  /**
   * Applied-index readers of the shards this node hosts now (a replica removed by an admin is
   * not hosted; one that is starting or installing is, and reads as missing).
   */
  public List<AppliedIndexReader> appliedIndexReaders() {
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

  /**
   * True once every hosted replica serves (see {@link ShardReadiness}: a leader is known and the
   * replica applied the commit index its group had when this node first heard of it): the node
   * has caught up and may serve. Stays true.
   */
  public boolean caughtUp() {
    if (caughtUp.get()) {
      return true;
    }
    if (server == null || client == null) {
      return false; // not started yet
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

  /**
   * The readiness of every replica this node hosts (a replica an admin removed is not hosted),
   * by shard. Never blocks on a group that is still loading: that one reads as opening.
   */
  public Map<Integer, ShardReadiness.Status> readiness() {
    Map<Integer, ShardReadiness.Status> statuses = new LinkedHashMap<>();
    observeHosted().forEach((shard, o) -> statuses.put(shard, readiness.observe(shard, o)));
    return statuses;
  }

  private Map<Integer, ShardReadiness.Observation> observeHosted() {
    Map<Integer, ShardReadiness.Observation> observations = new LinkedHashMap<>();
    for (int shard = 0; shard < config.shardCount(); shard++) {
      if (hosted(shard)) {
        observations.put(shard, divisions.observe(shard));
      }
    }
    return observations;
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
    return !hosted(shard) || !readiness.serving(shard) ? Optional.empty() : divisions.logTail(shard);
  }

  /** Phase, replay and catch-up gauges per shard (see docs/operations.md). */
  private void registerReadinessGauges() {
    for (int s = 0; s < config.shardCount(); s++) {
      int shard = s;
      for (ShardReadiness.Phase phase : ShardReadiness.Phase.values()) {
        metrics.gauge(MetricNames.shardPhase(shard, phase.label()),
            () -> () -> readinessOf(shard).map(r -> r.phase() == phase ? 1 : 0).orElse(0));
      }
      metrics.gauge(MetricNames.shardReplayEntriesLeft(shard),
          () -> () -> readinessOf(shard).map(ShardReadiness.Status::entriesLeft).orElse(0L));
      metrics.gauge(MetricNames.shardCatchUpLagEntries(shard),
          () -> () -> readinessOf(shard).map(ShardReadiness.Status::lagEntries).orElse(-1L));
    }
  }

  private Optional<ShardReadiness.Status> readinessOf(int shard) {
    return !hosted(shard) ? Optional.empty() : Optional.of(readiness.observe(shard, divisions.observe(shard)));
  }

  /** Operator actions (status, leadership, membership). Valid after {@link #start()}. */
  public synchronized ShardAdministration administration() {
    if (server == null) {
      throw new IllegalStateException("host not started");
    }
    return new ShardAdministration(config, groupIds, server, raftClients, replicas::get, removed, directory.all(),
        memberHints);
  }

  /**
   * Admin DrainNode: marks a node DRAINING and waits while the placement controller moves its
   * replicas off (see {@link NodeDrainer}). Valid after {@link #start()}.
   */
  public NodeDrainer drainer() throws IOException {
    var map = mapAccess().read();
    List<String> nodes = map.getNodesList().stream().map(n -> n.getId()).toList();
    java.util.Set<String> active = map.getNodesList().stream()
        .filter(n -> n.getState() == io.shardkv.api.internal.v1.NodeState.ACTIVE).map(n -> n.getId())
        .collect(java.util.stream.Collectors.toSet());
    return new NodeDrainer(nodes, active::contains, config.shardCount(), administration(), mapAccess());
  }

  /**
   * Starts the background scrubber (see {@link ReplicaScrubber}) with {@code policy}. Valid
   * after {@link #start()}; stopped by {@link #close()}.
   */
  public synchronized void startScrubber(ScrubPolicy policy) {
    if (server == null || scrubber != null) {
      throw new IllegalStateException(server == null ? "host not started" : "scrubber already started");
    }
    scrubber = new ReplicaScrubber(policy, config.shardCount(),
        shard -> !hosted(shard) ? Optional.empty() : Optional.ofNullable(replicas.get(shard)),
        this::resyncCorruptReplica, metrics);
    scrubber.start();
  }

  /**
   * Replaces this node's corrupt replica of {@code shard} with a fresh copy from its group:
   * removes it from the group (which deletes its data here) and adds it back (it installs the
   * leader's snapshot). Only when every other replica answers and they agree with each other,
   * so the group keeps a majority of good replicas throughout; otherwise leaves it to the operator.
   */
  private boolean resyncCorruptReplica(int shard) {
    try {
      ShardVerification v = verify(List.of(shard)).get(0);
      List<ShardVerification.Replica> others = v.replicas().stream()
          .filter(r -> !r.node().equals(config.nodeId())).toList();
      if (others.isEmpty() || !others.stream().allMatch(r -> r.state() == ShardVerification.ReplicaState.MATCHES)) {
        LOG.error("shard {}: not re-syncing the corrupt replica on {}: its peers do not all answer and agree ({})",
            shard, config.nodeId(), v.replicas());
        return false;
      }
      replaceReplica(shard);
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
  private boolean rebuildWedgedReplica(int shard) {
    try {
      replaceReplica(shard);
      LOG.info("shard {}: wedged replica on {} rebuilt: removed from its group and added back empty; it copies the "
          + "leader's log", shard, config.nodeId());
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.error("shard {}: rebuilding the wedged replica on {} failed: {}", shard, config.nodeId(), e.toString());
      return false;
    }
  }

  /** Removes this node's replica of {@code shard} from its group (deleting its data here) and adds it back. */
  private void replaceReplica(int shard) throws IOException {
    ShardAdministration admin = administration();
    admin.removeReplica(shard, config.nodeId());
    admin.addReplica(shard, config.nodeId());
  }

  /**
   * Admin VerifyShard: compares the digests of every replica of each of {@code shards} at an
   * index they all remember (DESIGN invariant 10). Valid after {@link #start()}.
   */
  public List<ShardVerification> verify(List<Integer> shards) throws IOException, InterruptedException {
    ShardAdministration admin = administration();
    ShardVerifier verifier = new ShardVerifier(raftClients, admin::currentPeers, config.requestTimeout(), metrics);
    List<ShardVerification> out = new ArrayList<>();
    for (int shard : shards) {
      out.add(verifier.verify(shard));
    }
    return out;
  }

  /** The service that serves this node's snapshot artifacts to followers (register it on gRPC). */
  public SnapshotTransferService snapshotTransferService() {
    return new SnapshotTransferService(config.clusterId(), shard -> {
      ShardStateMachine replica = replicas.get(shard);
      try {
        return replica == null ? Optional.empty() : replica.latestArtifact();
      } catch (IOException e) {
        return Optional.empty();
      }
    }, shard -> {
      ShardStateMachine replica = replicas.get(shard);
      if (replica != null) {
        replica.snapshotSoon();
      }
    });
  }

  /**
   * Takes a snapshot of {@code shard} on this node now (admin-triggered): produces the artifact,
   * then asks Ratis to take its snapshot so it learns of the artifact and may purge its log.
   * Completes with the artifact's index.
   */
  public CompletableFuture<AppliedIndex> takeSnapshot(int shard) {
    ShardStateMachine replica = replicas.get(shard);
    if (replica == null) {
      return CompletableFuture.failedFuture(new ShardUnavailableException(shard, "no local replica", null));
    }
    return replica.snapshotNow().thenApplyAsync(artifact -> {
      try {
        RaftClientReply reply = ratisClient(shard).getSnapshotManagementApi(RaftPeerId.valueOf(config.nodeId()))
            .create(config.requestTimeout().toMillis());
        if (!reply.isSuccess()) {
          LOG.warn("shard {}: Ratis did not record the snapshot: {}", shard, reply.getException());
        }
      } catch (IOException e) {
        LOG.warn("shard {}: Ratis did not record the snapshot: {}", shard, e.toString());
      }
      return artifact.index();
    }, background);
  }

  private RaftClient ratisClient(int shard) {
    return raftClients.get(shard);
  }

  /** The cold-start decisions of this node's replicas (those initialized so far). */
  public List<ColdStartReport> coldStartReports() {
    List<ColdStartReport> reports = new ArrayList<>();
    for (int s = 0; s < config.shardCount(); s++) {
      Optional.ofNullable(replicas.get(s)).flatMap(ShardStateMachine::coldStart).ifPresent(reports::add);
    }
    return reports;
  }

  /** The newest snapshot artifact of {@code shard} on this node. */
  public Optional<SnapshotArtifact> latestSnapshot(int shard) throws IOException {
    ShardStateMachine replica = replicas.get(shard);
    return replica == null ? Optional.empty() : replica.latestArtifact();
  }

  /**
   * Before a graceful stop: hands the leadership of every shard this node leads to the peer that
   * has committed the most, so the group elects at once instead of waiting out an election
   * timeout after this node goes quiet. The balancer stops first (it would claim the shards
   * back). Each transfer gives up after {@code timeout}; they run in parallel. Returns the
   * shards whose leadership moved.
   */
  public List<Integer> handOffLeadership(Duration timeout) {
    RaftServer s = server;
    synchronized (this) {
      if (balancer != null) {
        balancer.close();
        balancer = null;
      }
    }
    if (s == null) {
      return List.of();
    }
    long start = System.nanoTime();
    Map<Integer, String> targets = new LinkedHashMap<>();
    for (int shard = 0; shard < config.shardCount(); shard++) {
      if (hosted(shard)) {
        int sh = shard;
        divisions.handOffTarget(shard, config.nodeId()).ifPresent(target -> targets.put(sh, target));
      }
    }
    if (targets.isEmpty()) {
      return List.of();
    }
    // A thread per transfer: each blocks until its target leads or the timeout passes, and the
    // common pool has a single thread on two cores, which would run them one after another.
    ExecutorService pool = Executors.newFixedThreadPool(targets.size(), r -> {
      Thread t = new Thread(r, "shardkv-hand-off");
      t.setDaemon(true);
      return t;
    });
    Map<Integer, CompletableFuture<Optional<String>>> transfers = new LinkedHashMap<>();
    try {
      targets.forEach((shard, target) -> transfers.put(shard, CompletableFuture.supplyAsync(() -> {
        try {
          return Optional.of(administration().transferLeader(shard, target, timeout));
        } catch (IOException | RuntimeException e) {
          LOG.debug("shard {}: hand-off to {} failed: {}", shard, target, e.toString());
          return Optional.<String>empty();
        }
      }, pool)));
    } finally {
      pool.shutdown();
    }
    List<Integer> moved = new ArrayList<>();
    Map<Integer, String> to = new LinkedHashMap<>();
    transfers.forEach((shard, f) -> f.join().ifPresent(node -> {
      moved.add(shard);
      to.put(shard, node);
    }));
    LOG.info("node {}: before stopping, handed leadership of {} of the {} shards it led to peers {} in {} ms",
        config.nodeId(), moved.size(), transfers.size(), to, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    return moved;
  }

  @Override
  public synchronized void close() {
    if (controller != null) {
      controller.close();
    }
    mapView.close();
    if (mapClient != null) {
      try {
        mapClient.close();
      } catch (IOException e) {
        LOG.warn("closing the cluster map client: {}", e.toString());
      }
    }
    if (scrubber != null) {
      scrubber.close();
    }
    if (balancer != null) {
      balancer.close();
    }
    if (replaySnapshots != null) {
      replaySnapshots.close();
    }
    if (wedgeWatch != null) {
      wedgeWatch.close();
    }
    if (raftClient != null) {
      try {
        raftClient.close();
      } catch (IOException e) {
        LOG.warn("closing Raft clients: {}", e.toString());
      }
    }
    if (server != null) {
      try {
        server.close();
      } catch (IOException e) {
        LOG.warn("closing Raft server: {}", e.toString());
      }
      server = null;
    }
    background.shutdownNow();
  }
}
