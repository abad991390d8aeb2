package io.shardkv.control.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * Decides which replica moves and leadership transfers a placement controller should start next,
 * from one snapshot of the cluster: the map's nodes with their states, each shard's voters, and
 * the shards already moving. A pure function of its inputs, so a controller that fails over
 * plans as its predecessor did and tests need no cluster.
 *
 * <p>Moves come from three rules in priority order: evacuate replicas from DRAINING, DOWN and
 * removed nodes; repair shards with fewer or more voters than the replication factor; then
 * balance the ACTIVE, up nodes to within one replica of each other. A move with both ends is an
 * add followed by a remove, so a shard never has fewer voters than when it started, and at most
 * {@code maxConcurrentMoves} are under way at once, which bounds the snapshot traffic. Only
 * ACTIVE nodes that answered take replicas: JOINING ones wait until the controller marks them
 * ACTIVE. Leadership transfers come one at a time once nothing moves, since a move changes which
 * nodes can lead a shard.
 */
public final class PlacementPlanner {
  /** A node's state in the cluster map. */
  public enum NodeState { JOINING, ACTIVE, DRAINING, DOWN }

  /** One node as the controller sees it: its map state and whether its Raft server answered just now. */
  public record NodeView(String id, NodeState state, boolean up) {}

  /** One replica move: from == null adds only, to == null removes only. reason is a short label. */
  public record Move(int shard, String from, String to, String reason) {}

  /** One leadership transfer. */
  public record Transfer(int shard, String from, String to) {}

  /** Evacuation reasons, most urgent first: a DOWN replica already costs its shard a vote, a draining one does not. */
  private static final List<String> URGENCY = List.of("down", "removed", "draining");

  private final int replicationFactor;
  private final int maxConcurrentMoves;

  /**
   * @param replicationFactor voters each shard should have
   * @param maxConcurrentMoves cap on moves under way at once (>= 1)
   */
  public PlacementPlanner(int replicationFactor, int maxConcurrentMoves) {
    if (replicationFactor < 1 || maxConcurrentMoves < 1) {
      throw new IllegalArgumentException("replication factor and move cap must be >= 1, got "
          + replicationFactor + " and " + maxConcurrentMoves);
    }
    this.replicationFactor = replicationFactor;
    this.maxConcurrentMoves = maxConcurrentMoves;
  }

  /**
   * The moves to start now.
   *
   * @param nodes every node in the map, in map order (ties go to the earlier node)
   * @param members each shard's current voters (shard -> node ids); a member may be a node not in
   *     {@code nodes} (removed from the map)
   * @param moving shards with a move already under way (never planned again, and they count
   *     against the cap)
   */
  public List<Move> moves(List<NodeView> nodes, Map<Integer, List<String>> members, Set<Integer> moving) {
    Round round = new Round(nodes, members, moving);
    round.evacuate();
    round.repair();
    round.balance();
    return List.copyOf(round.planned);
  }

  /**
   * At most one leadership transfer to start now, or empty; call only when moves(...) returned
   * nothing and nothing is moving.
   *
   * @param nodes every node in the map, in map order (ties go to the earlier node)
   * @param members each shard's current voters (shard -> node ids)
   * @param leaders shard -> current leader node id (absent when unknown)
   */
  public Optional<Transfer> leaderTransfer(List<NodeView> nodes, Map<Integer, List<String>> members,
      Map<Integer, String> leaders) {
    Map<String, NodeView> byId = byId(nodes);
    List<String> pool = usable(nodes);
    Map<String, Integer> led = new HashMap<>();
    leaders.values().forEach(id -> led.merge(id, 1, Integer::sum));
    ToIntFunction<String> ledBy = id -> led.getOrDefault(id, 0);
    Map<Integer, String> byShard = new TreeMap<>(leaders);
    // A leader on its way out goes first: when it stops, its shard waits out an election.
    for (Map.Entry<Integer, String> e : byShard.entrySet()) {
      NodeView leader = byId.get(e.getValue());
      if (leader == null || leader.state() == NodeState.DRAINING || leader.state() == NodeState.DOWN) {
        List<String> voters = members.getOrDefault(e.getKey(), List.of());
        Optional<String> to = pick(pool.stream().filter(voters::contains).toList(), ledBy, false);
        if (to.isPresent()) {
          return Optional.of(new Transfer(e.getKey(), e.getValue(), to.get()));
        }
      }
    }
    Optional<String> busiest = pick(pool, ledBy, true);
    int most = busiest.map(ledBy::applyAsInt).orElse(0);
    if (busiest.isEmpty() || most < pool.stream().mapToInt(ledBy).min().getAsInt() + 2) {
      return Optional.empty();
    }
    for (Map.Entry<Integer, String> e : byShard.entrySet()) {
      if (!e.getValue().equals(busiest.get())) {
        continue;
      }
      List<String> voters = members.getOrDefault(e.getKey(), List.of());
      // Only to a voter two or more behind, so every transfer narrows the spread and none undoes another.
      Optional<String> to = pick(pool.stream()
          .filter(id -> voters.contains(id) && ledBy.applyAsInt(id) <= most - 2).toList(), ledBy, false);
      if (to.isPresent()) {
        return Optional.of(new Transfer(e.getKey(), busiest.get(), to.get()));
      }
    }
    return Optional.empty();
  }

  private static Map<String, NodeView> byId(List<NodeView> nodes) {
    Map<String, NodeView> byId = new HashMap<>();
    nodes.forEach(n -> byId.putIfAbsent(n.id(), n));
    return byId;
  }

  /** The ids of the ACTIVE nodes that answered, in map order: the only ones that take replicas or leaderships. */
  private static List<String> usable(List<NodeView> nodes) {
    return nodes.stream().filter(n -> n.state() == NodeState.ACTIVE && n.up()).map(NodeView::id).toList();
  }

  /** The id with the highest count (ties: the later id) or the lowest (ties: the earlier id). */
  private static Optional<String> pick(List<String> ids, ToIntFunction<String> count, boolean highest) {
    String best = null;
    for (String id : ids) {
      int c = best == null ? 0 : Integer.compare(count.applyAsInt(id), count.applyAsInt(best));
      if (best == null || (highest ? c >= 0 : c < 0)) {
        best = id;
      }
    }
    return Optional.ofNullable(best);
  }

  /** One call's working state: replica counts as they will be once the moves planned so far are done. */
  private final class Round {
    final List<String> order;
    final Map<String, NodeView> byId;
    final List<String> pool;
    final Map<Integer, List<String>> members;
    final Set<Integer> moving;
    final Map<String, Integer> held = new HashMap<>();
    final ToIntFunction<String> count = id -> held.getOrDefault(id, 0);
    final List<Move> planned = new ArrayList<>();

    Round(List<NodeView> nodes, Map<Integer, List<String>> members, Set<Integer> moving) {
      this.order = nodes.stream().map(NodeView::id).toList();
      this.byId = PlacementPlanner.byId(nodes);
      this.pool = usable(nodes);
      this.members = new TreeMap<>(members); // ascending shards
      this.moving = moving;
      members.values().forEach(m -> m.forEach(id -> held.merge(id, 1, Integer::sum)));
    }

    void evacuate() {
      for (Map.Entry<Integer, List<String>> e : members.entrySet()) {
        List<String> m = e.getValue();
        Optional<String> leaving = m.stream().filter(id -> reason(id) != null)
            .min(Comparator.comparingInt(id -> URGENCY.indexOf(reason(id))));
        Optional<String> to = target(m);
        // Without a target only a surplus replica may go: removing one of exactly RF would cost a vote.
        if (open(e.getKey()) && leaving.isPresent() && (to.isPresent() || m.size() > replicationFactor)) {
          plan(e.getKey(), leaving.get(), to.orElse(null), reason(leaving.get()));
        }
      }
    }

    void repair() {
      for (Map.Entry<Integer, List<String>> e : members.entrySet()) {
        List<String> m = e.getValue();
        if (open(e.getKey()) && m.size() < replicationFactor) {
          target(m).ifPresent(to -> plan(e.getKey(), null, to, "under-replicated"));
        } else if (open(e.getKey()) && m.size() > replicationFactor && m.stream().allMatch(id -> reason(id) == null)) {
          pick(order.stream().filter(m::contains).toList(), count, true)
              .ifPresent(victim -> plan(e.getKey(), victim, null, "over-replicated"));
        }
      }
    }

    void balance() {
      while (!pool.isEmpty()) {
        String from = pick(pool, count, true).orElseThrow();
        String to = pick(pool, count, false).orElseThrow();
        // Only shards at exactly RF, which repair leaves alone; by now the others are planned or hold every pool node.
        Optional<Integer> shard = members.entrySet().stream()
            .filter(e -> open(e.getKey()) && e.getValue().size() == replicationFactor
                && e.getValue().contains(from) && !e.getValue().contains(to))
            .map(Map.Entry::getKey).findFirst();
        if (count.applyAsInt(from) < count.applyAsInt(to) + 2 || shard.isEmpty()) {
          return; // balanced, or this pair cannot be evened now: trying other pairs could loop forever
        }
        plan(shard.get(), from, to, "balance");
      }
    }

    /** Why {@code id}'s replicas must leave, or null when they may stay. */
    String reason(String id) {
      NodeView n = byId.get(id);
      return n == null ? "removed" : n.state() == NodeState.DRAINING ? "draining"
          : n.state() == NodeState.DOWN ? "down" : null;
    }

    /** The usable non-member holding the fewest replicas. */
    Optional<String> target(List<String> m) {
      return pick(pool.stream().filter(id -> !m.contains(id)).toList(), count, false);
    }

    /** Whether {@code shard} may get a move: the cap is not reached, and it is neither moving nor planned. */
    boolean open(int shard) {
      return planned.size() + moving.size() < maxConcurrentMoves && !moving.contains(shard)
          && planned.stream().noneMatch(p -> p.shard() == shard);
    }

    void plan(int shard, String from, String to, String reason) {
      planned.add(new Move(shard, from, to, reason));
      if (from != null) {
        held.merge(from, -1, Integer::sum);
      }
      if (to != null) {
        held.merge(to, 1, Integer::sum);
      }
    }
  }
}
