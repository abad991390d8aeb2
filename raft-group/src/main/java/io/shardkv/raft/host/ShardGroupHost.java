package io.shardkv.raft.host;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.client.ProposalPolicy;
import io.shardkv.raft.client.ShardGroupClient;
import io.shardkv.raft.client.ShardUnavailableException;
import io.shardkv.raft.coldstart.ColdStartReport;
import io.shardkv.raft.health.ScrubPolicy;
import io.shardkv.raft.health.ShardVerification;
import io.shardkv.raft.health.ShardVerifier;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.ratis.RatisClientSettings;
import io.shardkv.raft.readiness.RaftLogFiles;
import io.shardkv.raft.readiness.ReplayBudget;
import io.shardkv.raft.readiness.ShardReadiness;
import io.shardkv.raft.readiness.StartupTimeline;
import io.shardkv.raft.replica.ShardStateMachine;
import io.shardkv.raft.snapshot.SnapshotArtifact;
import io.shardkv.raft.snapshot.SnapshotFetcher;
import io.shardkv.raft.snapshot.SnapshotTransferService;
import io.shardkv.raft.topology.GroupIds;
import io.shardkv.raft.topology.NodeDirectory;
import io.shardkv.raft.topology.PeerAddress;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.AppliedIndexReader;
import io.shardkv.store.CrashPoints;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.statemachine.StateMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's Ratis server hosting its replicas of the shard groups placed on it (every group
 * when the cluster has no more nodes than the replication factor), each over its own LMDB store,
 * and the node's entry to every group, hosted here or not ({@link #client()}). The host's API is
 * what the layers above use: the router and service reach shards through it, the control plane
 * runs its cluster map group on it ({@link ExtraGroup}) and changes memberships through
 * {@link #administration()}.
 *
 * <p>It wires the parts that do the work: the Ratis server ({@link NodeRaftServer}), the groups
 * and their life ({@link HostedGroups}), the client side ({@link ShardClients}), readiness
 * ({@link HostReadiness}), background watchers ({@link HostWatchers}) and leadership moves
 * ({@link Leadership}). Groups persist in the Ratis storage directory: on restart Ratis reloads
 * them and the host only adds the groups that are not there yet.
 */
public final class ShardGroupHost implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardGroupHost.class);

  private final GroupHostConfig config;
  private final ReplicationPolicy policy;
  private final ProposalPolicy proposals;
  private final MetricRegistry metrics;
  private final StartupTimeline timeline;
  private final NodeDirectory directory;
  private final List<ExtraGroup> extraGroups;
  private final GroupIds groupIds;
  private final NodeRaftServer server;
  private final HostedGroups groups;
  private final DivisionReader divisions;
  private final HostReadiness readiness;
  private final HostWatchers watchers;
  private final Leadership leadership;
  private final ReplayBudget replayBudget;
  /** Each shard's members as last read from another node: asked first next time (see ShardAdministration). */
  private final Map<Integer, List<String>> memberHints = new ConcurrentHashMap<>();
  private volatile ShardClients clients;

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
    this(config, policy, proposals, fetcher, crashPoints, metrics, timeline,
        new NodeDirectory(config.knownNodes()), List.of());
  }

  /**
   * @param directory the addresses of the nodes, shared with whatever else connects to them
   * @param extraGroups groups besides the shards' this node's server runs if it is a member
   *     (the control plane's cluster map group)
   */
  public ShardGroupHost(GroupHostConfig config, ReplicationPolicy policy, ProposalPolicy proposals,
      SnapshotFetcher fetcher, CrashPoints crashPoints, MetricRegistry metrics, StartupTimeline timeline,
      NodeDirectory directory, List<ExtraGroup> extraGroups) {
    this.config = config;
    this.policy = policy;
    this.proposals = proposals;
    this.metrics = metrics;
    this.timeline = timeline;
    this.directory = directory;
    this.extraGroups = List.copyOf(extraGroups);
    this.groupIds = new GroupIds(config.clusterId());
    this.server = new NodeRaftServer(config.nodeId());
    this.groups = new HostedGroups(config, policy, fetcher, crashPoints, metrics, timeline, groupIds);
    this.divisions = new DivisionReader(server::get, groupIds, groups.replicas());
    this.readiness = new HostReadiness(config, divisions, groups, timeline,
        () -> server.get() != null && clients != null && clients.client() != null);
    this.watchers = new HostWatchers(config, policy, metrics, groups, divisions, readiness);
    this.leadership = new Leadership(config, groupIds, server, groups, divisions, this::administration);
    this.replayBudget = new ReplayBudget(policy.maxReplay());
    readiness.registerGauges(metrics);
    metrics.gauge(MetricNames.nodeReplicas(), () -> () -> hostedShards().size());
    metrics.gauge(MetricNames.nodeLeaders(), () -> () -> (int) hostedShards().stream()
        .filter(s -> leaderOf(s).filter(config.nodeId()::equals).isPresent()).count());
  }

  /** Opens the stores, starts the Ratis server and joins the shard groups placed on this node. */
  public synchronized void start() throws IOException {
    List<RaftPeer> peers = config.peers().stream().map(ShardGroupHost::raftPeer).toList();
    if (config.placement().replicationFactor() < config.replicationFactor()) {
      LOG.warn("node {}: replication factor {} but only {} node(s) in peers: each shard has {} replica(s)",
          config.nodeId(), config.replicationFactor(), peers.size(), config.placement().replicationFactor());
    }
    Parameters tls = RatisClientSettings.parameters(config.peerTls());
    long logBytes = RaftLogFiles.bytesUnder(config.raftDir());
    long startedNanos = server.start(RatisServerSettings.server(config, policy), tls, this::newStateMachine);
    // The cold-start gates (a restore, at worst) run inside the server's start.
    replayBudget.recordStart(logBytes, startedNanos, TimeUnit.MILLISECONDS.toNanos(
        coldStartReports().stream().mapToLong(ColdStartReport::durationMillis).max().orElse(0)));
    LOG.info("node {}: Raft server started in {} ms, loading raft_log_bytes={} ({} MiB); replay estimate rate {} MiB/s",
        config.nodeId(), TimeUnit.NANOSECONDS.toMillis(startedNanos), logBytes, logBytes >> 20,
        replayBudget.loadBytesPerSecond() >> 20);
    timeline.reached("raft_started");
    for (ExtraGroup g : extraGroups) {
      if (g.hasMember(config.nodeId())) {
        server.join(RaftGroup.valueOf(g.id(), g.members().stream().map(ShardGroupHost::raftPeer).toList()));
      }
    }
    ShardClients connected = ShardClients.connect(config, peers, tls, groupIds);
    groups.joinPlacedGroups(server, peers, tls);
    connected.route(server.get(), groupIds, groups::replica, proposals, metrics);
    clients = connected;
    // Nodes the cluster map adds: their addresses reach every shard's client (after the
    // listener is in place, so none is missed; adding one twice does nothing).
    directory.onNewNode(connected::addNode);
    directory.all().stream().filter(p -> !config.peers().contains(p)).forEach(connected::addNode);
    watchers.start(replayBudget, this::takeSnapshot, this::replaceReplica);
    LOG.info("node {}: hosting shards {} of the {} of cluster '{}' (replication factor {}) with peers {}",
        config.nodeId(), hostedShards(), config.shardCount(), config.clusterId(),
        config.placement().replicationFactor(), config.peers());
  }

  private static RaftPeer raftPeer(PeerAddress p) {
    return RaftPeer.newBuilder().setId(p.id()).setAddress(p.raftAddress()).build();
  }

  private StateMachine newStateMachine(RaftGroupId groupId) {
    for (ExtraGroup g : extraGroups) {
      if (g.id().equals(groupId)) {
        return g.stateMachine().get();
      }
    }
    return groups.newStateMachine(groupId);
  }

  /** This node's Ratis server (for tests in this package); null before {@link #start()}. */
  RaftServer raftServer() {
    return server.get();
  }

  /** Reaches the groups (leader routing, retries, timeouts). Valid after {@link #start()}. */
  public ShardGroupClient client() {
    ShardClients c = clients;
    return c == null ? null : c.client();
  }

  /**
   * Applied-index readers of the shards this node hosts now (a replica removed by an admin is
   * not hosted; one that is starting or installing is, and reads as missing).
   */
  public List<AppliedIndexReader> appliedIndexReaders() {
    return groups.appliedIndexReaders();
  }

  /**
   * True once every hosted replica serves (see {@link ShardReadiness}: a leader is known and the
   * replica applied the commit index its group had when this node first heard of it): the node
   * has caught up and may serve. Stays true.
   */
  public boolean caughtUp() {
    return readiness.caughtUp();
  }

  /**
   * The readiness of every replica this node hosts (a replica an admin removed is not hosted),
   * by shard. Never blocks on a group that is still loading: that one reads as opening.
   */
  public Map<Integer, ShardReadiness.Status> readiness() {
    return readiness.statuses();
  }

  /** The shards this node hosts now, ascending. */
  public List<Integer> hostedShards() {
    return groups.hostedShards();
  }

  /** The leader of {@code shard} as this node sees it; empty if unknown or if it hosts no replica of it. */
  public Optional<String> leaderOf(int shard) {
    return server.leaderOf(groupIds.of(shard));
  }

  /** The leader of group {@code groupId} as this node's replica knows it; empty if it has none or none is known. */
  public Optional<String> groupLeader(RaftGroupId groupId) {
    return server.leaderOf(groupId);
  }

  /** Whether this node's replica of group {@code groupId} leads it. */
  public boolean leadsGroup(RaftGroupId groupId) {
    return server.leads(groupId);
  }

  /** Operator actions (status, leadership, membership). Valid after {@link #start()}. */
  public ShardAdministration administration() {
    RaftServer s = server.get();
    ShardClients c = clients;
    if (s == null || c == null) {
      throw new IllegalStateException("host not started");
    }
    return new ShardAdministration(config, groupIds, s, c.raftClients(), groups::replica, groups.removed(),
        directory.all(), memberHints);
  }

  /**
   * Starts the background scrubber (see {@code ReplicaScrubber}) with {@code policy}. Valid
   * after {@link #start()}; stopped by {@link #close()}.
   */
  public void startScrubber(ScrubPolicy policy) {
    if (server.get() == null) {
      throw new IllegalStateException("host not started");
    }
    watchers.startScrubber(policy, shard -> verify(List.of(shard)).get(0), this::replaceReplica);
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
    ShardVerifier verifier = new ShardVerifier(clients.raftClients(), admin::currentPeers, config.requestTimeout(),
        metrics);
    List<ShardVerification> out = new ArrayList<>();
    for (int shard : shards) {
      out.add(verifier.verify(shard));
    }
    return out;
  }

  /** The service that serves this node's snapshot artifacts to followers (register it on gRPC). */
  public SnapshotTransferService snapshotTransferService() {
    return new SnapshotTransferService(config.clusterId(), shard -> {
      try {
        return latestSnapshot(shard);
      } catch (IOException e) {
        return Optional.empty();
      }
    }, shard -> {
      ShardStateMachine replica = groups.replica(shard);
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
    ShardStateMachine replica = groups.replica(shard);
    if (replica == null) {
      return CompletableFuture.failedFuture(new ShardUnavailableException(shard, "no local replica", null));
    }
    return replica.snapshotNow().thenApplyAsync(artifact -> {
      try {
        RaftClientReply reply = clients.raftClients().get(shard)
            .getSnapshotManagementApi(RaftPeerId.valueOf(config.nodeId())).create(config.requestTimeout().toMillis());
        if (!reply.isSuccess()) {
          LOG.warn("shard {}: Ratis did not record the snapshot: {}", shard, reply.getException());
        }
      } catch (IOException e) {
        LOG.warn("shard {}: Ratis did not record the snapshot: {}", shard, e.toString());
      }
      return artifact.index();
    }, groups.background());
  }

  /** The cold-start decisions of this node's replicas (those initialized so far). */
  public List<ColdStartReport> coldStartReports() {
    return groups.coldStartReports();
  }

  /** The newest snapshot artifact of {@code shard} on this node. */
  public Optional<SnapshotArtifact> latestSnapshot(int shard) throws IOException {
    ShardStateMachine replica = groups.replica(shard);
    return replica == null ? Optional.empty() : replica.latestArtifact();
  }

  /**
   * Before a graceful stop: hands the leadership of every shard this node leads to the peer that
   * has committed the most (see {@link Leadership#handOff}); whatever claims leaderships for this
   * node (a leader balancer) must stop first, or it would claim them back. Returns the shards
   * whose leadership moved.
   */
  public List<Integer> handOffLeadership(Duration timeout) {
    return leadership.handOff(timeout);
  }

  /**
   * Moves {@code shard}'s leadership to this node if its replica here is at most
   * {@code maxLagEntries} behind the group's commit index, giving up after {@code timeout}
   * (a leader balancer's claim). True if it moved.
   */
  public boolean claimLeadership(int shard, long maxLagEntries, Duration timeout) {
    return leadership.claim(shard, maxLagEntries, timeout);
  }

  @Override
  public synchronized void close() {
    watchers.close();
    ShardClients c = clients;
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        LOG.warn("closing Raft clients: {}", e.toString());
      }
    }
    try {
      server.close();
    } catch (IOException e) {
      LOG.warn("closing Raft server: {}", e.toString());
    }
    groups.close();
  }
}
