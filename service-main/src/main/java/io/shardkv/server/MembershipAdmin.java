package io.shardkv.server;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.api.internal.v1.NodeState;
import io.shardkv.api.internal.v1.SetNodeState;
import io.shardkv.api.v1.AddNodeRequest;
import io.shardkv.api.v1.AddNodeResponse;
import io.shardkv.api.v1.DrainNodeRequest;
import io.shardkv.api.v1.DrainNodeResponse;
import io.shardkv.api.v1.RemoveNodeRequest;
import io.shardkv.api.v1.RemoveNodeResponse;
import io.shardkv.api.v1.ReplicaMove;
import io.shardkv.api.v1.UndrainNodeRequest;
import io.shardkv.api.v1.UndrainNodeResponse;
import io.shardkv.control.ControlPlane;
import io.shardkv.control.map.ClusterMapRules;
import io.shardkv.control.map.MapAccess;
import io.shardkv.control.map.MetaGroup;
import io.shardkv.control.membership.NodeDrainer;
import io.shardkv.raft.host.ShardAdministration;
import io.shardkv.raft.host.ShardGroupHost;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Admin calls that change who is in the cluster: AddNode, RemoveNode, DrainNode and
 * UndrainNode, each checked against the cluster map first so that a refusal changes nothing.
 */
final class MembershipAdmin {
  /** DrainNode waits at most this long (or the call's deadline) for the node to be empty. */
  private static final Duration DRAIN_WAIT = Duration.ofMinutes(30);

  private final int shards;
  private final ShardGroupHost host;
  private final ControlPlane controlPlane;

  MembershipAdmin(int shards, ShardGroupHost host, ControlPlane controlPlane) {
    this.shards = shards;
    this.host = host;
    this.controlPlane = controlPlane;
  }

  DrainNodeResponse drainNode(DrainNodeRequest request) throws IOException {
    AdminService.requireNode(request.getNodeId(), "node_id");
    DrainNodeResponse.Builder b = DrainNodeResponse.newBuilder();
    for (NodeDrainer.Move m : controlPlane.drainer().drain(request.getNodeId(), callTimeLeft(DRAIN_WAIT))) {
      b.addMoves(ReplicaMove.newBuilder().setShard(m.shard()).setFromNode(m.from()).setToNode(m.to()));
    }
    return b.build();
  }

  AddNodeResponse addNode(AddNodeRequest request) throws IOException {
    AdminService.requireNode(request.getNodeId(), "node_id");
    if (request.getHost().isBlank()) {
      throw new IllegalArgumentException("host is required (where the other nodes reach the new node)");
    }
    requirePort(request.getRaftPort(), "raft_port");
    requirePort(request.getClientPort(), "client_port");
    MapAccess maps = controlPlane.mapAccess();
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
  }

  RemoveNodeResponse removeNode(RemoveNodeRequest request) throws IOException {
    String node = request.getNodeId();
    AdminService.requireNode(node, "node_id");
    MapAccess maps = controlPlane.mapAccess();
    ClusterMap map = maps.read();
    member(map, node);
    if (controlPlane.metaGroupMembers().hasMember(node)) {
      throw new IllegalStateException("cannot remove " + node + ": it holds the cluster map (the first "
          + MetaGroup.MEMBERS + " peers do). Nothing was changed");
    }
    List<Integer> holds = new ArrayList<>();
    ShardAdministration admin = host.administration();
    for (int s = 0; s < shards; s++) {
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
  }

  UndrainNodeResponse undrainNode(UndrainNodeRequest request) throws IOException {
    String node = request.getNodeId();
    AdminService.requireNode(node, "node_id");
    MapAccess maps = controlPlane.mapAccess();
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
    Deadline d = Context.current().getDeadline();
    if (d == null) {
      return cap;
    }
    long ms = d.timeRemaining(TimeUnit.MILLISECONDS);
    return Duration.ofMillis(Math.max(0, Math.min(ms, cap.toMillis())));
  }
}
