package io.shardkv.control;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.api.internal.v1.NodeState;
import io.shardkv.control.map.CachingMapAccess;
import io.shardkv.control.map.ClusterMapClient;
import io.shardkv.control.map.ClusterMapRules;
import io.shardkv.control.map.ClusterMapStateMachine;
import io.shardkv.control.map.ClusterMapView;
import io.shardkv.control.map.MapAccess;
import io.shardkv.control.map.MapNodes;
import io.shardkv.control.map.MetaGroup;
import io.shardkv.control.membership.ClusterJoiner;
import io.shardkv.control.membership.NodeDrainer;
import io.shardkv.control.placement.FreshAdministration;
import io.shardkv.control.placement.LeaderBalancer;
import io.shardkv.control.placement.PlacementController;
import io.shardkv.control.placement.PlacementPolicy;
import io.shardkv.raft.host.ExtraGroup;
import io.shardkv.raft.host.GroupHostConfig;
import io.shardkv.raft.host.ShardGroupHost;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.ratis.RatisClientSettings;
import io.shardkv.raft.topology.PeerAddress;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.ratis.protocol.RaftPeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's part of the control plane: the cluster map (its cached view, and this node's
 * replica of the meta group if it is one of the first peers), joining the cluster, the
 * placement controller, leader balancing and node drains. It reaches the shards only through
 * the host's API, and nothing below it knows it exists.
 *
 * <p>Lifecycle: build it before the host (the host runs the meta group's replica, see
 * {@link #metaGroup()}), {@link #start} it once the host has started, {@link #stopBalancing()}
 * before the host hands its leaderships off, and {@link #close()} it before the host closes.
 */
public final class ControlPlane implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
  /** How often every node reads the cluster map from the meta group. */
  private static final Duration MAP_REFRESH_INTERVAL = Duration.ofSeconds(1);
  /** How long a joining node keeps asking the seeds to add it to the cluster map. */
  private static final Duration JOIN_WAIT = Duration.ofSeconds(60);
  /** A balancing transfer gives up after this; writes to the shard wait at most as long. */
  private static final Duration BALANCE_TRANSFER_TIMEOUT = Duration.ofSeconds(1);
  /** A replica further behind its group's commit index than this does not claim leadership. */
  private static final long BALANCE_MAX_LAG_ENTRIES = 64;

  private final GroupHostConfig config;
  private final ClusterMapView mapView;
  private final MetricRegistry metrics;
  private final MetaGroup metaGroup;
  /** This node's replica of the meta group, once Ratis made it (meta members only). */
  private volatile ClusterMapStateMachine localReplica;
  private ShardGroupHost host;
  private ClusterMapClient mapClient;
  private PlacementController controller;
  private LeaderBalancer balancer;

  /** @param mapView this node's cached cluster map, shared with the gRPC parts that exchange its version */
  public ControlPlane(GroupHostConfig config, ClusterMapView mapView, MetricRegistry metrics) {
    this.config = config;
    this.mapView = mapView;
    this.metrics = metrics;
    this.metaGroup = MetaGroup.of(config.clusterId(), config.peers());
    metrics.gauge(MetricNames.clusterMapVersion(), () -> mapView::version);
    // Present from the start, so dashboards and alerts see zeros rather than no series.
    for (String result : List.of("started", "finished", "failed", "rolled_back")) {
      metrics.counter(MetricNames.replicaMoves(result));
    }
  }

  /** The cluster map's group, for the host to run beside the shard groups (give it to the host's constructor). */
  public ExtraGroup metaGroup() {
    return new ExtraGroup(metaGroup.id(), metaGroup.members(), () -> {
      ClusterMapStateMachine replica = new ClusterMapStateMachine(mapView::offer);
      localReplica = replica;
      return replica;
    });
  }

  /**
   * Starts this node's control plane on a started {@code host}: reads the map every refresh
   * interval, joins the cluster if this node is not one of the peers (blocking until the map
   * has it, or failing), and starts leader balancing and the placement controller ({@code
   * policy}; off when its check interval is zero).
   */
  public synchronized void start(ShardGroupHost host, PlacementPolicy policy) throws IOException {
    this.host = host;
    List<RaftPeer> members = metaGroup.members().stream()
        .map(p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.raftAddress()).build()).toList();
    mapClient = new ClusterMapClient(metaGroup.id(), members, RatisClientSettings.parameters(config.peerTls()),
        config.requestTimeout());
    mapView.offer(localMap());
    mapView.startRefreshing(mapClient::read, MAP_REFRESH_INTERVAL);
    if (config.joinAs().isPresent()) {
      new ClusterJoiner(mapAccess(), JOIN_WAIT).join(config.joinAs().get(), metaGroup.memberIds());
    }
    if (!config.leaderBalanceInterval().isZero()) {
      // Only while the cluster has the nodes it was created with: once nodes joined or left,
      // the placement controller spreads leaderships instead (the two would fight).
      balancer = new LeaderBalancer(config.nodeId(), config.placement(), host::leaderOf, host::caughtUp,
          shard -> creationLayout() && host.claimLeadership(shard, BALANCE_MAX_LAG_ENTRIES, BALANCE_TRANSFER_TIMEOUT));
      balancer.start(config.leaderBalanceInterval());
    }
    if (!policy.enabled()) {
      LOG.info("node {}: placement controller off (placement.check-interval = 0): replicas are placed by hand",
          config.nodeId());
      return;
    }
    List<MapNode> seeds = config.peers().stream().map(MapNodes::entry).toList();
    controller = new PlacementController(mapAccess(), new FreshAdministration(host::administration),
        () -> host.leadsGroup(metaGroup.id()), () -> !creationLayout(), seeds, config.shardCount(),
        config.replicationFactor(), policy, metrics, System::currentTimeMillis);
    controller.start();
  }

  /** The cluster map as this node's own meta replica has applied it; empty if it holds none. */
  private ClusterMap localMap() {
    ClusterMapStateMachine replica = localReplica;
    return replica == null ? ClusterMapRules.empty() : replica.map();
  }

  /** True while the cluster map lists exactly the nodes the cluster was created with (or none yet). */
  private boolean creationLayout() {
    ClusterMap map = mapView.current();
    return map.getVersion() == 0 || map.getNodesList().stream().map(MapNode::getId).sorted().toList()
        .equals(config.peers().stream().map(PeerAddress::id).sorted().toList());
  }

  /**
   * Reads and changes the cluster map (admin calls); every map it returns also refreshes this
   * node's cached view, so a change shows in ClusterStatus here at once. Valid after {@link #start}.
   */
  public MapAccess mapAccess() {
    return new CachingMapAccess(mapClient, mapView);
  }

  /** The cluster map as this node last saw it (version 0 before it has seen one). */
  public ClusterMap clusterMap() {
    return mapView.current();
  }

  /** The meta group's leader as this node's meta replica knows it; empty if it holds none or none is known. */
  public Optional<String> mapLeader() {
    ShardGroupHost h = host;
    return h == null ? Optional.empty() : h.groupLeader(metaGroup.id());
  }

  /** The nodes that hold the cluster map (RemoveNode refuses them). */
  public MetaGroup metaGroupMembers() {
    return metaGroup;
  }

  /**
   * Admin DrainNode: marks a node DRAINING and waits while the placement controller moves its
   * replicas off (see {@link NodeDrainer}). Valid after {@link #start}.
   */
  public NodeDrainer drainer() throws IOException {
    ClusterMap map = mapAccess().read();
    List<String> nodes = map.getNodesList().stream().map(MapNode::getId).toList();
    Set<String> active = map.getNodesList().stream().filter(n -> n.getState() == NodeState.ACTIVE)
        .map(MapNode::getId).collect(Collectors.toSet());
    return new NodeDrainer(nodes, active::contains, config.shardCount(), new FreshAdministration(host::administration),
        mapAccess());
  }

  /** Stops claiming leaderships for this node (before it hands them off to stop). */
  public synchronized void stopBalancing() {
    if (balancer != null) {
      balancer.close();
      balancer = null;
    }
  }

  @Override
  public synchronized void close() {
    stopBalancing();
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
  }
}
