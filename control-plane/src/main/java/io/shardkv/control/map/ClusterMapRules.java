package io.shardkv.control.map;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.MapMove;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.api.internal.v1.NodeState;
import java.util.Optional;

/**
 * What each cluster-map command does to the map: the one place that decides it, so every meta
 * replica applying the same log ends with the same map. A command that changes the map raises
 * its version by one; a command that would not (or must not) change it is refused with a reason
 * and leaves the map, version included, as it was. Pure: the time a change is stamped with comes
 * from the command, never from a local clock.
 */
public final class ClusterMapRules {
  private ClusterMapRules() {}

  /** The empty map of a meta group that has applied nothing yet. */
  public static ClusterMap empty() {
    return ClusterMap.getDefaultInstance();
  }

  /** Applies {@code command} to {@code map}: the new map, or the unchanged map and why not. */
  public static MapCommandResult apply(ClusterMap map, MapCommand command) {
    if (!command.hasCreate() && map.getVersion() == 0) {
      return refuse(map, "the cluster map is not created yet (the meta group's leader creates it from the peers)");
    }
    return switch (command.getKindCase()) {
      case CREATE -> create(map, command);
      case ADD_NODE -> addNode(map, command.getAddNode(), command.getAtMillis());
      case SET_STATE -> setState(map, command.getSetState().getNode(), command.getSetState().getState(),
          command.getAtMillis());
      case REMOVE_NODE -> removeNode(map, command.getRemoveNode());
      case BEGIN_MOVE -> beginMove(map, command.getBeginMove(), command.getAtMillis());
      case UPDATE_MOVE -> updateMove(map, command.getUpdateMove());
      case END_MOVE -> endMove(map, command.getEndMove().getShard());
      case KIND_NOT_SET -> refuse(map, "empty cluster map command");
    };
  }

  /** The node with {@code id}, if the map has it. */
  public static Optional<MapNode> node(ClusterMap map, String id) {
    return map.getNodesList().stream().filter(n -> n.getId().equals(id)).findFirst();
  }

  /** The move under way for {@code shard}, if any. */
  public static Optional<MapMove> move(ClusterMap map, int shard) {
    return map.getMovesList().stream().filter(m -> m.getShard() == shard).findFirst();
  }

  private static MapCommandResult create(ClusterMap map, MapCommand command) {
    if (map.getVersion() != 0) {
      return refuse(map, "the cluster map exists already (version " + map.getVersion() + ")");
    }
    if (command.getCreate().getNodesCount() == 0 || command.getCreate().getShardCount() == 0) {
      return refuse(map, "a cluster map needs at least one node and one shard");
    }
    ClusterMap.Builder b = ClusterMap.newBuilder().setShardCount(command.getCreate().getShardCount());
    for (MapNode n : command.getCreate().getNodesList()) {
      b.addNodes(n.toBuilder().setState(NodeState.ACTIVE).setStateSinceMillis(command.getAtMillis()));
    }
    return changed(b);
  }

  private static MapCommandResult addNode(ClusterMap map, MapNode node, long at) {
    Optional<MapNode> existing = node(map, node.getId());
    if (existing.isPresent()) {
      return refuse(map, "node '" + node.getId() + "' is already a member (" + existing.get().getState() + ")");
    }
    Optional<MapNode> sameAddress = map.getNodesList().stream()
        .filter(n -> n.getHost().equals(node.getHost()) && n.getRaftPort() == node.getRaftPort()).findFirst();
    if (sameAddress.isPresent()) {
      return refuse(map, "address " + node.getHost() + ":" + node.getRaftPort() + " is node '"
          + sameAddress.get().getId() + "' already");
    }
    if (node.getId().isEmpty() || node.getHost().isEmpty() || node.getRaftPort() == 0 || node.getClientPort() == 0) {
      return refuse(map, "a node needs an id, a host, a Raft port and a client port");
    }
    return changed(map.toBuilder().addNodes(node.toBuilder().setState(NodeState.JOINING).setStateSinceMillis(at)));
  }

  private static MapCommandResult setState(ClusterMap map, String id, NodeState state, long at) {
    for (int i = 0; i < map.getNodesCount(); i++) {
      MapNode n = map.getNodes(i);
      if (n.getId().equals(id)) {
        if (n.getState() == state) {
          return refuse(map, "node '" + id + "' is " + state + " already");
        }
        if (state == NodeState.JOINING || state == NodeState.NODE_STATE_UNSPECIFIED) {
          return refuse(map, "a node cannot be set back to " + state);
        }
        return changed(map.toBuilder().setNodes(i, n.toBuilder().setState(state).setStateSinceMillis(at)));
      }
    }
    return refuse(map, unknown(map, id));
  }

  private static MapCommandResult removeNode(ClusterMap map, String id) {
    for (int i = 0; i < map.getNodesCount(); i++) {
      if (map.getNodes(i).getId().equals(id)) {
        Optional<MapMove> moving = map.getMovesList().stream()
            .filter(m -> m.getFromNode().equals(id) || m.getToNode().equals(id)).findFirst();
        if (moving.isPresent()) {
          return refuse(map, "node '" + id + "' takes part in the move of shard " + moving.get().getShard());
        }
        return changed(map.toBuilder().removeNodes(i));
      }
    }
    return refuse(map, unknown(map, id));
  }

  private static MapCommandResult beginMove(ClusterMap map, MapMove move, long at) {
    if (move.getShard() >= map.getShardCount()) {
      return refuse(map, "shard " + move.getShard() + " does not exist (" + map.getShardCount() + " shards)");
    }
    if (move(map, move.getShard()).isPresent()) {
      return refuse(map, "shard " + move.getShard() + " is moving already");
    }
    if (move.getFromNode().isEmpty() && move.getToNode().isEmpty()) {
      return refuse(map, "a move needs a node to add or a node to remove");
    }
    if (!move.getToNode().isEmpty() && node(map, move.getToNode()).isEmpty()) {
      return refuse(map, unknown(map, move.getToNode()));
    }
    return changed(map.toBuilder().addMoves(move.toBuilder().setStartedMillis(at)));
  }

  private static MapCommandResult updateMove(ClusterMap map, MapMove update) {
    for (int i = 0; i < map.getMovesCount(); i++) {
      MapMove m = map.getMoves(i);
      if (m.getShard() == update.getShard()) {
        if (m.getPhase() == update.getPhase()) {
          return refuse(map, "the move of shard " + m.getShard() + " is " + m.getPhase() + " already");
        }
        return changed(map.toBuilder().setMoves(i, m.toBuilder().setPhase(update.getPhase())));
      }
    }
    return refuse(map, "no move of shard " + update.getShard() + " is under way");
  }

  private static MapCommandResult endMove(ClusterMap map, int shard) {
    for (int i = 0; i < map.getMovesCount(); i++) {
      if (map.getMoves(i).getShard() == shard) {
        return changed(map.toBuilder().removeMoves(i));
      }
    }
    return refuse(map, "no move of shard " + shard + " is under way");
  }

  private static String unknown(ClusterMap map, String id) {
    return "node '" + id + "' is not in the cluster map (nodes: "
        + map.getNodesList().stream().map(MapNode::getId).toList() + ")";
  }

  private static MapCommandResult changed(ClusterMap.Builder next) {
    return MapCommandResult.newBuilder().setMap(next.setVersion(next.getVersion() + 1)).build();
  }

  private static MapCommandResult refuse(ClusterMap map, String why) {
    return MapCommandResult.newBuilder().setRefusal(why).setMap(map).build();
  }
}
