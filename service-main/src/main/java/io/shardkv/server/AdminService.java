package io.shardkv.server;

import io.grpc.Status;
import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.MapMove;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.api.v1.AddNodeRequest;
import io.shardkv.api.v1.AddNodeResponse;
import io.shardkv.api.v1.MoveStatus;
import io.shardkv.api.v1.RemoveNodeRequest;
import io.shardkv.api.v1.RemoveNodeResponse;
import io.shardkv.control.map.ClusterMapRules;
import io.shardkv.raft.host.GroupHostConfig;
import java.time.Duration;
import java.util.Optional;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.shardkv.api.v1.AddReplicaRequest;
import io.shardkv.api.v1.AddReplicaResponse;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.ColdStart;
import io.shardkv.api.internal.v1.NodeState;
import io.shardkv.api.internal.v1.SetNodeState;
import io.shardkv.api.v1.DrainNodeRequest;
import io.shardkv.api.v1.UndrainNodeRequest;
import io.shardkv.api.v1.UndrainNodeResponse;
import io.shardkv.api.v1.DrainNodeResponse;
import io.shardkv.api.v1.NodeStatus;
import io.shardkv.api.v1.ReplicaMove;
import io.shardkv.control.membership.NodeDrainer;
import io.shardkv.control.placement.PlacementController;
import io.shardkv.api.v1.RemoveReplicaRequest;
import io.shardkv.api.v1.RemoveReplicaResponse;
import io.shardkv.api.v1.ShardSnapshot;
import io.shardkv.api.v1.ShardStatus;
import io.shardkv.api.v1.TakeSnapshotRequest;
import io.shardkv.api.v1.TakeSnapshotResponse;
import io.shardkv.api.v1.TransferLeaderRequest;
import io.shardkv.api.v1.TransferLeaderResponse;
import io.shardkv.api.v1.ReplicaVerification;
import io.shardkv.api.v1.ShardVerification;
import io.shardkv.api.v1.VerifyShardRequest;
import io.shardkv.api.v1.VerifyShardResponse;
import io.shardkv.raft.coldstart.ColdStartReport;
import io.shardkv.raft.host.ReplicaStatus;
import io.shardkv.raft.readiness.ShardReadiness;
import io.shardkv.raft.host.ShardAdministration;
import io.shardkv.raft.host.ShardGroupHost;
import io.shardkv.server.ShardkvConfig.Peer;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.AppliedIndexReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The operator service {@code shardkv.v1.Admin} (contract in admin.proto). Who may call what is
 * decided by {@link AdminAuthInterceptor}; this class only does the work.
 */
final class AdminService extends AdminGrpc.AdminImplBase {
  private static final long PEER_HEALTH_DEADLINE_MS = 1000;

  /** DrainNode waits at most this long (or the call's deadline) for the node to be empty. */
  private static final Duration DRAIN_WAIT = Duration.ofMinutes(30);
  private final ShardkvConfig config;
  private final ShardGroupHost host;
  private final PeerChannels peers;
  private final AppliedIndexReader minApplied;
  private final BooleanSupplier selfServing;

  AdminService(ShardkvConfig config, ShardGroupHost host, PeerChannels peers, AppliedIndexReader minApplied,
      BooleanSupplier selfServing) {
    this.config = config;
    this.host = host;
    this.peers = peers;
    this.minApplied = minApplied;
    this.selfServing = selfServing;
  }

  @Override
  public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
    respond(out, () -> {
      ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder()
          .setAnsweredBy(config.nodeId())
          .setMinAppliedIndex(minApplied.appliedIndex().map(AppliedIndex::index).orElse(-1L));
      ClusterMap map = host.clusterMap();
      b.setMapVersion(map.getVersion());
      host.clusterMapLeader().ifPresent(b::setMapLeader);
      long now = System.currentTimeMillis();
      for (MapMove m : map.getMovesList()) {
        b.addMoves(MoveStatus.newBuilder().setShard(m.getShard()).setFromNode(m.getFromNode())
            .setToNode(m.getToNode()).setPhase(m.getPhase().name()).setReason(m.getReason())
            .setStartedUnixMillis(m.getStartedMillis()).setElapsedMs(Math.max(0, now - m.getStartedMillis())));
      }
      Map<Integer, ShardReadiness.Status> readiness = host.readiness();
      List<ReplicaStatus> shards = host.administration().status();
      for (NodeStatus node : nodeStatuses(readiness)) {
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
    });
  }

  /** Answers a unary call with what {@code work} returns, or its failure mapped to a status. */
  private static <T> void respond(StreamObserver<T> out, Callable<T> work) {
    T answer;
    try {
      answer = work.call();
    } catch (Exception e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    out.onNext(answer);
    out.onCompleted();
  }

  /**
   * Every node of the cluster map (before the map exists, every configured peer) with its
   * health, asked in parallel with a short deadline.
   */
  private List<NodeStatus> nodeStatuses(Map<Integer, ShardReadiness.Status> readiness) {
    ClusterMap map = host.clusterMap();
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

  /** One line naming every shard of this node that does not serve yet, with its phase. */
  static String notServingReason(Map<Integer, ShardReadiness.Status> readiness) {
    String shards = readiness.values().stream()
        .filter(r -> r.phase() != ShardReadiness.Phase.SERVING)
        .map(r -> "shard " + r.shard() + " " + r.phase().label() + " (" + r.detail() + ")")
        .collect(java.util.stream.Collectors.joining("; "));
    return shards.isEmpty() ? "every shard serves; the node reports SERVING within moments" : shards;
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

  @Override
  public void takeSnapshot(TakeSnapshotRequest request, StreamObserver<TakeSnapshotResponse> out) {
    List<Integer> shards;
    try {
      // all: the replicas this node holds, since snapshots are per replica.
      shards = requestedShards(request.getAll(), request.getShard(), host.hostedShards());
    } catch (IllegalArgumentException e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    List<CompletableFuture<ShardSnapshot>> taken = new ArrayList<>();
    for (int shard : shards) {
      taken.add(host.takeSnapshot(shard).thenApply(at -> ShardSnapshot.newBuilder()
          .setShard(shard).setIndex(at.index()).setTerm(at.term()).build()));
    }
    CompletableFuture.allOf(taken.toArray(CompletableFuture[]::new)).whenComplete((ignored, e) -> {
      if (e != null) {
        out.onError(StatusMapper.toStatus(e));
        return;
      }
      TakeSnapshotResponse.Builder b = TakeSnapshotResponse.newBuilder();
      taken.forEach(f -> b.addSnapshots(f.join()));
      out.onNext(b.build());
      out.onCompleted();
    });
  }

  @Override
  public void transferLeader(TransferLeaderRequest request, StreamObserver<TransferLeaderResponse> out) {
    respond(out, () -> {
      requireNode(request.getToNode(), "to_node");
      String leader = host.administration().transferLeader(request.getShard(), request.getToNode());
      return TransferLeaderResponse.newBuilder().setLeader(leader).build();
    });
  }

  @Override
  public void addReplica(AddReplicaRequest request, StreamObserver<AddReplicaResponse> out) {
    respond(out, () -> {
      requireNode(request.getNodeId(), "node_id");
      List<String> replicas = host.administration().addReplica(request.getShard(), request.getNodeId());
      return AddReplicaResponse.newBuilder().addAllReplicas(replicas).build();
    });
  }

  @Override
  public void verifyShard(VerifyShardRequest request, StreamObserver<VerifyShardResponse> out) {
    respond(out, () -> {
      List<Integer> shards = requestedShards(request.getAll(), request.getShard(),
          java.util.stream.IntStream.range(0, config.shards()).boxed().toList());
      VerifyShardResponse.Builder b = VerifyShardResponse.newBuilder();
      for (io.shardkv.raft.health.ShardVerification v : host.verify(shards)) {
        b.addShards(toProto(v));
      }
      return b.build();
    });
  }

  private static ShardVerification toProto(io.shardkv.raft.health.ShardVerification v) {
    ShardVerification.Builder b = ShardVerification.newBuilder()
        .setShard(v.shard()).setResult(v.result().label()).setDetail(v.detail())
        .setComparedIndex(v.comparedAt().map(AppliedIndex::index).orElse(-1L))
        .setComparedTerm(v.comparedAt().map(AppliedIndex::term).orElse(-1L));
    for (io.shardkv.raft.health.ShardVerification.Replica r : v.replicas()) {
      b.addReplicas(ReplicaVerification.newBuilder()
          .setNodeId(r.node()).setState(r.state().label())
          .setDigest(r.digest().map(d -> d.hex()).orElse(""))
          .setPairs(r.digest().map(d -> d.pairs()).orElse(-1L))
          .setNewestIndex(r.newest().map(AppliedIndex::index).orElse(-1L))
          .setFailure(r.failure().orElse("")));
    }
    return b.build();
  }

  @Override
  public void removeReplica(RemoveReplicaRequest request, StreamObserver<RemoveReplicaResponse> out) {
    respond(out, () -> {
      requireNode(request.getNodeId(), "node_id");
      List<String> replicas = host.administration().removeReplica(request.getShard(), request.getNodeId());
      return RemoveReplicaResponse.newBuilder().addAllReplicas(replicas).build();
    });
  }

  @Override
  public void drainNode(DrainNodeRequest request, StreamObserver<DrainNodeResponse> out) {
    respond(out, () -> {
      requireNode(request.getNodeId(), "node_id");
      DrainNodeResponse.Builder b = DrainNodeResponse.newBuilder();
      for (NodeDrainer.Move m : host.drainer().drain(request.getNodeId(), callTimeLeft(DRAIN_WAIT))) {
        b.addMoves(ReplicaMove.newBuilder().setShard(m.shard()).setFromNode(m.from()).setToNode(m.to()));
      }
      return b.build();
    });
  }

  @Override
  public void addNode(AddNodeRequest request, StreamObserver<AddNodeResponse> out) {
    respond(out, () -> {
      requireNode(request.getNodeId(), "node_id");
      if (request.getHost().isBlank()) {
        throw new IllegalArgumentException("host is required (where the other nodes reach the new node)");
      }
      requirePort(request.getRaftPort(), "raft_port");
      requirePort(request.getClientPort(), "client_port");
      PlacementController.MapAccess maps = host.clusterMapAccess();
      ClusterMap map = maps.read();
      Optional<MapNode> existing = ClusterMapRules.node(map, request.getNodeId());
      if (existing.isPresent()) {
        throw Status.ALREADY_EXISTS.withDescription("node '" + request.getNodeId() + "' is already a member ("
            + existing.get().getState() + ", " + existing.get().getHost() + ":" + existing.get().getRaftPort()
            + "). Nothing was changed").asRuntimeException();
      }
      MapCommandResult r = maps.submit(MapCommand.newBuilder().setAtMillis(System.currentTimeMillis())
          .setAddNode(MapNode.newBuilder().setId(request.getNodeId()).setHost(request.getHost())
              .setRaftPort(request.getRaftPort()).setClientPort(request.getClientPort())).build());
      refused(r, "cannot add node '" + request.getNodeId() + "'");
      return AddNodeResponse.newBuilder().setMapVersion(r.getMap().getVersion()).build();
    });
  }

  @Override
  public void removeNode(RemoveNodeRequest request, StreamObserver<RemoveNodeResponse> out) {
    respond(out, () -> {
      String node = request.getNodeId();
      requireNode(node, "node_id");
      PlacementController.MapAccess maps = host.clusterMapAccess();
      ClusterMap map = maps.read();
      member(map, node);
      if (config.groupHostConfig().metaMembers().stream().anyMatch(p -> p.id().equals(node))) {
        throw new IllegalStateException("cannot remove " + node + ": it holds the cluster map (the first "
            + GroupHostConfig.META_MEMBERS + " peers do). Nothing was changed");
      }
      List<Integer> holds = new ArrayList<>();
      ShardAdministration admin = host.administration();
      for (int s = 0; s < config.shards(); s++) {
        if (admin.members(s).contains(node)) {
          holds.add(s);
        }
      }
      if (!holds.isEmpty()) {
        throw new IllegalStateException("cannot remove " + node + ": it holds replicas of shards " + holds
            + "; DrainNode it first. Nothing was changed");
      }
      MapCommandResult r = maps.submit(MapCommand.newBuilder().setAtMillis(System.currentTimeMillis())
          .setRemoveNode(node).build());
      refused(r, "cannot remove " + node);
      return RemoveNodeResponse.newBuilder().setMapVersion(r.getMap().getVersion()).build();
    });
  }

  @Override
  public void undrainNode(UndrainNodeRequest request, StreamObserver<UndrainNodeResponse> out) {
    respond(out, () -> {
      String node = request.getNodeId();
      requireNode(node, "node_id");
      PlacementController.MapAccess maps = host.clusterMapAccess();
      ClusterMap map = maps.read();
      MapNode n = member(map, node);
      if (n.getState() != NodeState.DRAINING) {
        throw new IllegalStateException("cannot undrain " + node + ": it is " + n.getState()
            + ", not DRAINING. Nothing was changed");
      }
      MapCommandResult r = maps.submit(MapCommand.newBuilder().setAtMillis(System.currentTimeMillis())
          .setSetState(SetNodeState.newBuilder().setNode(node).setState(NodeState.ACTIVE)).build());
      refused(r, "cannot undrain " + node);
      return UndrainNodeResponse.newBuilder().setMapVersion(r.getMap().getVersion()).build();
    });
  }

  /** Node {@code node} of {@code map}, or NOT_FOUND naming the nodes there are. */
  private static MapNode member(ClusterMap map, String node) {
    return ClusterMapRules.node(map, node).orElseThrow(() -> Status.NOT_FOUND.withDescription("node '" + node
        + "' is not in the cluster map (nodes: " + map.getNodesList().stream().map(MapNode::getId).toList() + ")")
        .asRuntimeException());
  }

  private static void refused(MapCommandResult r, String what) {
    if (!r.getRefusal().isEmpty()) {
      throw new IllegalStateException(what + ": " + r.getRefusal() + ". Nothing was changed");
    }
  }

  private static void requirePort(int port, String field) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(field + " must be 1-65535, got " + port);
    }
  }

  /** What is left of the call's deadline, at most {@code cap}. */
  private static Duration callTimeLeft(Duration cap) {
    io.grpc.Deadline d = io.grpc.Context.current().getDeadline();
    if (d == null) {
      return cap;
    }
    long ms = d.timeRemaining(TimeUnit.MILLISECONDS);
    return Duration.ofMillis(Math.max(0, Math.min(ms, cap.toMillis())));
  }

  /** The shards a request with {@code all} and {@code shard} fields names: {@code allShards}, or the one in range. */
  private List<Integer> requestedShards(boolean all, int shard, List<Integer> allShards) {
    if (all) {
      return allShards;
    }
    if (shard < 0 || shard >= config.shards()) {
      throw new IllegalArgumentException(
          "shard must be in [0, " + config.shards() + "), got " + shard + " (or set all=true)");
    }
    return List.of(shard);
  }

  private static void requireNode(String nodeId, String field) {
    if (nodeId.isEmpty()) {
      throw new IllegalArgumentException(field + " is required (a node id from ClusterStatus)");
    }
  }
}
