package io.shardkv.raft.host;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.client.ProposalCoalescer;
import io.shardkv.raft.client.ProposalPolicy;
import io.shardkv.raft.client.ShardGroupClient;
import io.shardkv.raft.ratis.RatisClientSettings;
import io.shardkv.raft.replica.ShardStateMachine;
import io.shardkv.raft.routing.LocalDivisions;
import io.shardkv.raft.routing.RatisShardGroupClient;
import io.shardkv.raft.topology.GroupIds;
import io.shardkv.raft.topology.PeerAddress;
import io.shardkv.raft.topology.ShardPlacement;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.TimeDuration;

/**
 * The host's client side: one Ratis client per shard group that knows every node (the shard's
 * preferred leader first), and over them the {@link ShardGroupClient} callers use (the routing
 * client wrapped in the proposal coalescer). Nodes the cluster map adds later are taught to
 * every shard's client.
 */
final class ShardClients implements AutoCloseable {
  private static final long RETRY_SLEEP_MS = 100;

  private final List<RaftClient> raftClients;
  private final List<List<RaftPeerId>> candidates;
  private final java.time.Duration requestTimeout;
  private RatisShardGroupClient routing;
  private ShardGroupClient client;

  private ShardClients(List<RaftClient> raftClients, List<List<RaftPeerId>> candidates,
      java.time.Duration requestTimeout) {
    this.raftClients = List.copyOf(raftClients);
    this.candidates = List.copyOf(candidates);
    this.requestTimeout = requestTimeout;
  }

  /** A Ratis client per shard group, each knowing every one of {@code peers}. */
  static ShardClients connect(GroupHostConfig config, List<RaftPeer> peers, Parameters tls, GroupIds groupIds) {
    ShardPlacement placement = config.placement();
    RaftProperties properties = RatisClientSettings.client(config.requestTimeout());
    int attempts = (int) Math.max(1, config.requestTimeout().toMillis() / RETRY_SLEEP_MS);
    List<RaftClient> clients = new ArrayList<>();
    List<List<RaftPeerId>> candidates = new ArrayList<>();
    for (int shard = 0; shard < config.shardCount(); shard++) {
      // The client knows every node (members change): the shard's preferred leader first.
      List<RaftPeer> order = candidates(placement, peers, shard);
      candidates.add(order.stream().map(RaftPeer::getId).toList());
      clients.add(RaftClient.newBuilder()
          .setProperties(properties)
          .setParameters(tls)
          .setRaftGroup(RaftGroup.valueOf(groupIds.of(shard), order))
          .setClientId(ClientId.randomId())
          .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
              attempts, TimeDuration.valueOf(RETRY_SLEEP_MS, TimeUnit.MILLISECONDS)))
          .build());
    }
    return new ShardClients(clients, candidates, config.requestTimeout());
  }

  /**
   * Every node, in the order to try them for {@code shard}: with every node on every shard the
   * configured order (as clusters always had); otherwise the preferred leader, the other placed
   * replicas, then the rest (replicas move).
   */
  private static List<RaftPeer> candidates(ShardPlacement placement, List<RaftPeer> peers, int shard) {
    if (placement.everyNodeHoldsEveryShard()) {
      return peers;
    }
    List<RaftPeer> ordered = new ArrayList<>();
    peers.stream().filter(p -> p.getId().toString().equals(placement.preferredLeader(shard))).forEach(ordered::add);
    peers.stream().filter(p -> placement.holds(p.getId().toString(), shard) && !ordered.contains(p))
        .forEach(ordered::add);
    peers.stream().filter(p -> !ordered.contains(p)).forEach(ordered::add);
    return ordered;
  }

  /**
   * Builds the client callers use: writes and reads go to this node's own divisions where they
   * can ({@code server}, {@code localReplicas}), else over the Ratis clients.
   */
  void route(RaftServer server, GroupIds groupIds, IntFunction<ShardStateMachine> localReplicas,
      ProposalPolicy proposals, MetricRegistry metrics) {
    routing = new RatisShardGroupClient(raftClients, localReplicas, new LocalDivisions(server, groupIds),
        candidates, requestTimeout, metrics);
    client = new ProposalCoalescer(routing, proposals, metrics);
  }

  /** A node the cluster map added: every shard's client learns its address. */
  void addNode(PeerAddress node) {
    routing.addNode(RaftPeer.newBuilder().setId(node.id()).setAddress(node.raftAddress()).build());
  }

  /** The client callers use; null before {@link #route}. */
  ShardGroupClient client() {
    return client;
  }

  /** The Ratis client of each shard group, by shard. */
  List<RaftClient> raftClients() {
    return raftClients;
  }

  @Override
  public void close() throws IOException {
    if (routing != null) {
      routing.close();
    }
  }
}
