package io.shardkv.control.membership;

import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.NodeState;
import io.shardkv.api.internal.v1.SetNodeState;
import io.shardkv.control.map.MapAccess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin DrainNode: empties one node of its replicas so it can be stopped without leaving any
 * shard with fewer replicas. It checks first that every shard the node holds has another node
 * that is up to go to (otherwise the drain is refused and nothing changes), then marks the node
 * DRAINING in the cluster map and waits while the placement controller moves its replicas off
 * (each move adds the new replica before removing the old one: the controller's ReplicaMover).
 * The moves carry on if the caller gives up waiting; calling it again waits again.
 */
public final class NodeDrainer {
  private static final Logger LOG = LoggerFactory.getLogger(NodeDrainer.class);
  private static final long POLL_MS = 200;

  /** The membership operations a drain needs (ShardAdministration's; a fake in tests). */
  public interface Membership {
    /** The shard's current members. */
    List<String> members(int shard) throws IOException;

    /** The shard's leader, if one is known. */
    Optional<String> knownLeader(int shard);

    /** Adds {@code node} to the shard; returns the members after. */
    List<String> addReplica(int shard, String node) throws IOException;

    /** Removes {@code node} from the shard; returns the members after. */
    List<String> removeReplica(int shard, String node) throws IOException;

    /** Moves the shard's leadership to {@code toNode}; returns the leader after. */
    String transferLeader(int shard, String toNode) throws IOException;

    /** Those of {@code nodes} whose Raft server answers now (only such nodes take replicas). */
    List<String> nodesUp(List<String> nodes);
  }

  /** One replica moved. */
  public record Move(int shard, String from, String to) {}

  private final List<String> nodes;
  private final int shardCount;
  private final Membership membership;
  private final MapAccess map;
  private final java.util.function.Predicate<String> takesReplicas;

  /**
   * @param nodes every node in the cluster map, in map order (ties between targets go to the
   *     earlier one)
   * @param takesReplicas which of them may be given replicas (ACTIVE in the map)
   */
  public NodeDrainer(List<String> nodes, java.util.function.Predicate<String> takesReplicas, int shardCount,
      Membership membership, MapAccess map) {
    this.nodes = List.copyOf(nodes);
    this.takesReplicas = takesReplicas;
    this.shardCount = shardCount;
    this.membership = membership;
    this.map = map;
  }

  /**
   * Drains {@code node} and waits up to {@code timeout} for it to hold no replica; returns the
   * replicas moved off it (shard, from, the node that holds the shard now instead).
   *
   * @throws IllegalArgumentException {@code node} is not in the cluster map
   * @throws IllegalStateException some shard has no node to move to (nothing was changed)
   * @throws IOException the map could not be changed, or the drain did not finish in time (it carries on)
   */
  public List<Move> drain(String node, Duration timeout) throws IOException {
    if (!nodes.contains(node)) {
      throw new IllegalArgumentException("node '" + node + "' is not in the cluster map " + nodes);
    }
    Map<Integer, List<String>> before = new HashMap<>();
    for (int s = 0; s < shardCount; s++) {
      before.put(s, membership.members(s));
    }
    List<Move> plan = plan(node, before);
    MapCommandResult r = map.submit(MapCommand.newBuilder().setAtMillis(System.currentTimeMillis())
        .setSetState(SetNodeState.newBuilder().setNode(node).setState(NodeState.DRAINING)).build());
    if (!r.getRefusal().isEmpty() && !r.getRefusal().contains("DRAINING already")) {
      throw new IllegalStateException("cannot drain " + node + ": " + r.getRefusal() + ". Nothing was changed");
    }
    LOG.info("drain of {}: marked DRAINING; {} replicas to move off", node, plan.size());
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Move> moved = new ArrayList<>();
      boolean empty = true;
      for (int s = 0; s < shardCount; s++) {
        List<String> now = membership.members(s);
        empty &= !now.contains(node);
        if (before.get(s).contains(node) && !now.contains(node)) {
          int shard = s;
          now.stream().filter(n -> !before.get(shard).contains(n)).findFirst()
              .ifPresent(to -> moved.add(new Move(shard, node, to)));
        }
      }
      if (empty) {
        LOG.info("drain of {}: finished, {} replicas moved off: {}", node, moved.size(), moved);
        return moved;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("drain of " + node + " not finished within " + timeout.toSeconds() + " s ("
            + moved.size() + " of " + plan.size() + " replicas moved); it carries on: watch Admin/ClusterStatus");
      }
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the drain of " + node, e);
      }
    }
  }

  /** Where each of {@code node}'s replicas can go, given every shard's {@code members}. */
  private List<Move> plan(String node, Map<Integer, List<String>> members) {
    Map<String, Integer> held = new HashMap<>();
    nodes.forEach(n -> held.put(n, 0));
    members.values().forEach(m -> m.forEach(n -> held.merge(n, 1, Integer::sum)));
    List<String> up = membership.nodesUp(nodes.stream().filter(n -> !n.equals(node) && takesReplicas.test(n)).toList());
    List<Move> plan = new ArrayList<>();
    for (int s = 0; s < shardCount; s++) {
      List<String> m = members.get(s);
      if (!m.contains(node)) {
        continue;
      }
      Optional<String> target = up.stream()
          .filter(n -> !m.contains(n))
          .min(Comparator.comparingInt(held::get)); // stable: the earlier node on ties
      if (target.isEmpty()) {
        throw new IllegalStateException("cannot drain " + node + ": shard " + s + " has replicas " + m
            + " and no other node that is up can take one (up: " + up + "); start or add a node first."
            + " Nothing was changed");
      }
      held.merge(target.get(), 1, Integer::sum);
      plan.add(new Move(s, node, target.get()));
    }
    return plan;
  }
}
