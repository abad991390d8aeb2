package io.shardkv.server;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapMove;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.ColdStart;
import io.shardkv.api.v1.MoveStatus;
import io.shardkv.api.v1.NodeStatus;
import io.shardkv.api.v1.ShardStatus;
import io.shardkv.control.ControlPlane;
import io.shardkv.control.map.ClusterMapRules;
import io.shardkv.raft.coldstart.ColdStartReport;
import io.shardkv.raft.host.ReplicaStatus;
import io.shardkv.raft.host.ShardGroupHost;
import io.shardkv.raft.readiness.ShardReadiness;
import io.shardkv.server.ShardkvConfig.Peer;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.AppliedIndexReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Admin ClusterStatus's answer: every node of the cluster map with its health (peers asked in
 * parallel, briefly), what each holds and leads, the moves under way, and every shard as this
 * node sees it with its readiness and cold-start decision.
 */
final class ClusterStatusReport {
  private static final long PEER_HEALTH_DEADLINE_MS = 1000;

  private final ShardkvConfig config;
  private final ShardGroupHost host;
  private final ControlPlane controlPlane;
  private final PeerChannels peers;
  private final AppliedIndexReader minApplied;
  private final BooleanSupplier selfServing;

  ClusterStatusReport(ShardkvConfig config, ShardGroupHost host, ControlPlane controlPlane, PeerChannels peers,
      AppliedIndexReader minApplied, BooleanSupplier selfServing) {
    this.config = config;
    this.host = host;
    this.controlPlane = controlPlane;
    this.peers = peers;
    this.minApplied = minApplied;
    this.selfServing = selfServing;
  }

  ClusterStatusResponse build() {
    ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder()
        .setAnsweredBy(config.nodeId())
        .setMinAppliedIndex(minApplied.appliedIndex().map(AppliedIndex::index).orElse(-1L));
    ClusterMap map = controlPlane.clusterMap();
    b.setMapVersion(map.getVersion());
    controlPlane.mapLeader().ifPresent(b::setMapLeader);
    long now = System.currentTimeMillis();
    for (MapMove m : map.getMovesList()) {
      b.addMoves(MoveStatus.newBuilder().setShard(m.getShard()).setFromNode(m.getFromNode())
          .setToNode(m.getToNode()).setPhase(m.getPhase().name()).setReason(m.getReason())
          .setStartedUnixMillis(m.getStartedMillis()).setElapsedMs(Math.max(0, now - m.getStartedMillis())));
    }
    Map<Integer, ShardReadiness.Status> readiness = host.readiness();
    List<ReplicaStatus> shards = host.administration().status();
    for (NodeStatus node : nodeStatuses(map, readiness)) {
      // Per node, what it holds and leads: the view operators balance by (issue 11).
      NodeStatus.Builder n = node.toBuilder();
      ClusterMapRules.node(map, node.getNodeId()).ifPresent(m -> n.setState(m.getState().name()));
      for (ReplicaStatus s : shards) {
        if (s.replicas().contains(node.getNodeId())) {
          n.addReplicaShards(s.shard());
        }
        if (s.leader().filter(node.getNodeId()::equals).isPresent()) {
          n.addLeaderShards(s.shard());
        }
      }
      b.addNodes(n);
    }
    for (ReplicaStatus s : shards) {
      ShardStatus.Builder shard = toProto(s).toBuilder();
      if (s.hosted() && readiness.containsKey(s.shard())) {
        shard.setReadiness(toProto(readiness.get(s.shard())));
      }
      b.addShards(shard);
    }
    return b.build();
  }

  /**
   * Every node of the cluster map (before the map exists, every configured peer) with its
   * health, asked in parallel with a short deadline.
   */
  private List<NodeStatus> nodeStatuses(ClusterMap map, Map<Integer, ShardReadiness.Status> readiness) {
    List<Peer> known = map.getVersion() == 0 ? config.peers() : map.getNodesList().stream()
        .map(n -> new Peer(n.getId(), n.getHost(), n.getRaftPort(), n.getClientPort())).toList();
    Map<Peer, ListenableFuture<HealthCheckResponse>> asked = new LinkedHashMap<>();
    for (Peer p : known) {
      if (!p.id().equals(config.nodeId())) {
        asked.put(p, HealthGrpc.newFutureStub(peers.to(p.id()))
            .withDeadlineAfter(PEER_HEALTH_DEADLINE_MS, TimeUnit.MILLISECONDS)
            .check(HealthCheckRequest.getDefaultInstance()));
      }
    }
    List<NodeStatus> nodes = new ArrayList<>();
    for (Peer p : known) {
      String health;
      if (p.id().equals(config.nodeId())) {
        health = selfServing.getAsBoolean() ? "SERVING" : "NOT_SERVING";
      } else {
        try {
          health = asked.get(p).get().getStatus().name();
        } catch (ExecutionException e) {
          health = "UNREACHABLE";
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          health = "UNREACHABLE";
        }
      }
      nodes.add(NodeStatus.newBuilder()
          .setNodeId(p.id())
          .setRaftAddress(p.host() + ":" + p.raftPort())
          .setClientAddress(p.host() + ":" + p.clientPort())
          .setHealth(health)
          .setSelf(p.id().equals(config.nodeId()))
          .setNotServingReason(p.id().equals(config.nodeId()) && !selfServing.getAsBoolean()
              ? notServingReason(readiness) : "")
          .build());
    }
    return nodes;
  }

  /** One line naming every shard of this node that does not serve yet, with its phase. */
  static String notServingReason(Map<Integer, ShardReadiness.Status> readiness) {
    String shards = readiness.values().stream()
        .filter(r -> r.phase() != ShardReadiness.Phase.SERVING)
        .map(r -> "shard " + r.shard() + " " + r.phase().label() + " (" + r.detail() + ")")
        .collect(Collectors.joining("; "));
    return shards.isEmpty() ? "every shard serves; the node reports SERVING within moments" : shards;
  }

  private static ShardStatus toProto(ReplicaStatus s) {
    ShardStatus.Builder b = ShardStatus.newBuilder()
        .setShard(s.shard())
        .setGroupId(s.groupId())
        .setHosted(s.hosted())
        .addAllReplicas(s.replicas());
    if (!s.hosted()) {
      return b.setLeader(s.leader().orElse("")).setDurableAppliedIndex(-1).setSnapshotIndex(-1)
          .setAppliedIndex(-1).build();
    }
    b.setLeader(s.leader().orElse(""))
        .setTerm(s.term())
        .setAppliedIndex(s.appliedIndex())
        .setDurableAppliedIndex(s.durableAppliedIndex().map(AppliedIndex::index).orElse(-1L))
        .setSnapshotIndex(s.snapshotIndex().map(AppliedIndex::index).orElse(-1L));
    s.coldStart().ifPresent(c -> b.setColdStart(toProto(c)));
    return b.build();
  }

  private static io.shardkv.api.v1.ShardReadiness toProto(ShardReadiness.Status r) {
    return io.shardkv.api.v1.ShardReadiness.newBuilder()
        .setPhase(r.phase().label())
        .setEntriesLeft(r.entriesLeft())
        .setEntriesPerSecond(r.entriesPerSecond())
        .setEtaMs(r.etaMillis().orElse(-1))
        .setLagEntries(r.lagEntries())
        .setDetail(r.detail())
        .build();
  }

  private static ColdStart toProto(ColdStartReport r) {
    return ColdStart.newBuilder()
        .setOutcome(r.decision().outcome().label())
        .setReason(r.decision().reasonLabel())
        .setDurableIndex(r.decision().durable().map(AppliedIndex::index).orElse(-1L))
        .setSnapshotIndex(r.decision().snapshot().map(AppliedIndex::index).orElse(-1L))
        .setDurationMs(r.durationMillis())
        .build();
  }
}
