package io.shardkv.control.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.control.placement.PlacementPlanner.Move;
import io.shardkv.control.placement.PlacementPlanner.NodeState;
import io.shardkv.control.placement.PlacementPlanner.NodeView;
import io.shardkv.control.placement.PlacementPlanner.Transfer;
import io.shardkv.raft.topology.ShardPlacement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PlacementPlannerTest {

  private static NodeView active(String id) {
    return new NodeView(id, NodeState.ACTIVE, true);
  }

  private static List<NodeView> activeNodes(int n) {
    List<NodeView> nodes = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      nodes.add(active("n" + i));
    }
    return nodes;
  }

  private static List<String> ids(List<NodeView> nodes) {
    return nodes.stream().map(NodeView::id).toList();
  }

  /** Mutable members of {@code shards} shards, each on every one of {@code holders}. */
  private static Map<Integer, List<String>> everyShardOn(int shards, String... holders) {
    Map<Integer, List<String>> members = new TreeMap<>();
    for (int s = 0; s < shards; s++) {
      members.put(s, new ArrayList<>(List.of(holders)));
    }
    return members;
  }

  private static Map<Integer, List<String>> placed(List<NodeView> nodes, int shards, int rf) {
    ShardPlacement p = ShardPlacement.balanced(ids(nodes), shards, rf);
    Map<Integer, List<String>> members = new TreeMap<>();
    for (int s = 0; s < shards; s++) {
      members.put(s, new ArrayList<>(p.replicas(s)));
    }
    return members;
  }

  private static Map<String, Integer> held(Map<Integer, List<String>> members) {
    Map<String, Integer> held = new HashMap<>();
    members.values().forEach(m -> m.forEach(id -> held.merge(id, 1, Integer::sum)));
    return held;
  }

  private static boolean usable(NodeView n) {
    return n.state() == NodeState.ACTIVE && n.up();
  }

  /**
   * Applies one move as the controller would, add first and remove second, checking that it only
   * adds to ACTIVE up non-members, only removes members, and never leaves the shard with fewer
   * members than min(RF, what it had).
   */
  private static void apply(List<NodeView> nodes, Map<Integer, List<String>> members, Move m, int rf) {
    List<String> shard = members.get(m.shard());
    int before = shard.size();
    assertThat(m.from() != null || m.to() != null).as("%s does something", m).isTrue();
    if (m.to() != null) {
      assertThat(shard).as("%s adds a non-member", m).doesNotContain(m.to());
      assertThat(nodes).as("%s adds to an ACTIVE up node", m)
          .anyMatch(n -> n.id().equals(m.to()) && usable(n));
      shard.add(m.to());
    }
    if (m.from() != null) {
      assertThat(shard).as("%s removes a member", m).contains(m.from());
      shard.remove(m.from());
      assertThat(shard.size()).as("%s keeps enough voters", m).isGreaterThanOrEqualTo(Math.min(rf, before));
    }
  }

  /** What a converge loop did: the rounds it needed and every move applied. */
  private record Run(int rounds, List<Move> moves) {}

  /** Plans and applies moves (nothing left moving between rounds) until none come; fails past maxRounds. */
  private static Run converge(PlacementPlanner planner, List<NodeView> nodes, Map<Integer, List<String>> members,
      int rf, int cap, int maxRounds) {
    List<Move> all = new ArrayList<>();
    for (int round = 0; round <= maxRounds; round++) {
      List<Move> moves = planner.moves(nodes, members, Set.of());
      if (moves.isEmpty()) {
        return new Run(round, all);
      }
      assertThat(moves).hasSizeLessThanOrEqualTo(cap);
      assertThat(moves.stream().map(Move::shard).distinct().count()).as("one move per shard").isEqualTo(moves.size());
      moves.forEach(m -> apply(nodes, members, m, rf));
      all.addAll(moves);
    }
    throw new AssertionError("no convergence in " + maxRounds + " rounds; members " + members + " moves " + all);
  }

  private static void assertBalanced(List<NodeView> nodes, Map<Integer, List<String>> members, String label) {
    Map<String, Integer> held = held(members);
    List<Integer> counts = nodes.stream().filter(PlacementPlannerTest::usable)
        .map(n -> held.getOrDefault(n.id(), 0)).toList();
    if (!counts.isEmpty()) {
      int spread = counts.stream().mapToInt(i -> i).max().getAsInt() - counts.stream().mapToInt(i -> i).min().getAsInt();
      assertThat(spread).as(label + " replica counts " + held).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void aBalancedClusterNeedsNoMoveAndNoTransfer() {
    List<NodeView> nodes = activeNodes(5);
    ShardPlacement p = ShardPlacement.balanced(ids(nodes), 16, 3);
    Map<Integer, List<String>> members = placed(nodes, 16, 3);
    Map<Integer, String> leaders = new HashMap<>();
    for (int s = 0; s < 16; s++) {
      leaders.put(s, p.preferredLeader(s));
    }
    PlacementPlanner planner = new PlacementPlanner(3, 2);
    assertThat(planner.moves(nodes, members, Set.of())).isEmpty();
    assertThat(planner.leaderTransfer(nodes, members, leaders)).isEmpty();
  }

  @Test
  void twoNewActiveNodesFillUpUntilEveryNodeIsWithinOneOfTheMean() {
    List<NodeView> nodes = activeNodes(5);
    Map<Integer, List<String>> members = everyShardOn(8, "n1", "n2", "n3");
    Run run = converge(new PlacementPlanner(3, 2), nodes, members, 3, 2, 20);
    double mean = 8 * 3 / 5.0;
    Map<String, Integer> held = held(members);
    for (NodeView n : nodes) {
      assertThat(Math.abs(held.getOrDefault(n.id(), 0) - mean)).as("%s in %s", n.id(), held).isLessThanOrEqualTo(1.0);
    }
    members.values().forEach(m -> assertThat(m).hasSize(3).doesNotHaveDuplicates());
    // n4 and n5 end with 9 replicas between them; every move brings one, two per round.
    assertThat(run.moves()).hasSize(9).allMatch(m -> m.reason().equals("balance") && m.to().matches("n[45]"));
    assertThat(run.rounds()).isEqualTo(5);
  }

  @Test
  void theCapCountsMovesAlreadyUnderWayAndThoseShardsAreNotPlannedAgain() {
    List<NodeView> nodes = activeNodes(5);
    PlacementPlanner planner = new PlacementPlanner(3, 3);
    assertThat(planner.moves(nodes, everyShardOn(8, "n1", "n2", "n3"), Set.of())).hasSize(3);
    List<Move> moves = planner.moves(nodes, everyShardOn(8, "n1", "n2", "n3"), Set.of(0, 2));
    assertThat(moves).hasSize(1);
    assertThat(moves.get(0).shard()).isEqualTo(1);
    assertThat(planner.moves(nodes, everyShardOn(8, "n1", "n2", "n3"), Set.of(0, 1, 2))).isEmpty();
    assertThat(planner.moves(nodes, everyShardOn(8, "n1", "n2", "n3"), Set.of(0, 1, 2, 3))).isEmpty();
  }

  @Test
  void evacuationComesBeforeRepairAndRepairBeforeBalance() {
    List<NodeView> nodes = List.of(active("n1"), active("n2"), active("n3"),
        new NodeView("n4", NodeState.DRAINING, true), active("n5"), active("n6"));
    Map<Integer, List<String>> members = everyShardOn(6, "n1", "n2", "n3");
    members.put(0, new ArrayList<>(List.of("n1")));
    members.put(5, new ArrayList<>(List.of("n1", "n2", "n4")));
    PlacementPlanner planner = new PlacementPlanner(3, 1);
    assertThat(planner.moves(nodes, members, Set.of())).containsExactly(new Move(5, "n4", "n5", "draining"));
    assertThat(planner.moves(nodes, members, Set.of(5))).isEmpty();
    members.put(5, new ArrayList<>(List.of("n1", "n2", "n5")));
    assertThat(planner.moves(nodes, members, Set.of())).containsExactly(new Move(0, null, "n6", "under-replicated"));
    members.put(0, new ArrayList<>(List.of("n1", "n6", "n5")));
    assertThat(planner.moves(nodes, members, Set.of()).get(0).reason()).isEqualTo("balance");
  }

  @Test
  void aDrainingNodeIsEmptiedAndNothingMovesOntoIt() {
    List<NodeView> nodes = new ArrayList<>(activeNodes(5));
    Map<Integer, List<String>> members = placed(nodes, 10, 3);
    nodes.set(1, new NodeView("n2", NodeState.DRAINING, true));
    Run run = converge(new PlacementPlanner(3, 2), nodes, members, 3, 2, 30);
    assertThat(held(members)).doesNotContainKey("n2");
    assertThat(run.moves()).isNotEmpty().noneMatch(m -> "n2".equals(m.to()))
        .filteredOn(m -> "n2".equals(m.from())).allMatch(m -> m.reason().equals("draining") && m.to() != null);
    members.values().forEach(m -> assertThat(m).hasSize(3).doesNotHaveDuplicates());
    assertBalanced(nodes, members, "after the drain");
  }

  @Test
  void aDownNodesReplicasAreRecreatedElsewhere() {
    List<NodeView> nodes = new ArrayList<>(activeNodes(4));
    Map<Integer, List<String>> members = placed(nodes, 8, 3);
    List<Integer> onN3 = members.entrySet().stream().filter(e -> e.getValue().contains("n3")).map(Map.Entry::getKey).toList();
    nodes.set(2, new NodeView("n3", NodeState.DOWN, false));
    Run run = converge(new PlacementPlanner(3, 2), nodes, members, 3, 2, 30);
    assertThat(run.moves()).extracting(Move::shard).containsExactlyElementsOf(onN3);
    assertThat(run.moves()).allMatch(m -> m.from().equals("n3") && m.to() != null && m.reason().equals("down"));
    members.values().forEach(m -> assertThat(m).hasSize(3).doesNotContain("n3"));
  }

  @Test
  void aDownMemberLeavesBeforeADrainingOneOfTheSameShard() {
    List<NodeView> nodes = List.of(new NodeView("n1", NodeState.DRAINING, true), active("n2"),
        new NodeView("n3", NodeState.DOWN, false), active("n4"));
    Map<Integer, List<String>> members = everyShardOn(1, "n1", "n2", "n3");
    assertThat(new PlacementPlanner(3, 1).moves(nodes, members, Set.of()))
        .containsExactly(new Move(0, "n3", "n4", "down"));
  }

  @Test
  void targetsCountTheAddsPlannedEarlierInTheSameCall() {
    List<NodeView> nodes = activeNodes(4);
    Map<Integer, List<String>> members = everyShardOn(3, "n1");
    assertThat(new PlacementPlanner(2, 3).moves(nodes, members, Set.of())).containsExactly(
        new Move(0, null, "n2", "under-replicated"), new Move(1, null, "n3", "under-replicated"),
        new Move(2, null, "n4", "under-replicated"));
  }

  @Test
  void aJoiningOrUnansweringNodeTakesNothing() {
    List<NodeView> nodes = List.of(active("n1"), active("n2"), active("n3"),
        new NodeView("n4", NodeState.JOINING, true), new NodeView("n5", NodeState.ACTIVE, false));
    Map<Integer, List<String>> members = everyShardOn(8, "n1", "n2", "n3");
    PlacementPlanner planner = new PlacementPlanner(3, 4);
    assertThat(planner.moves(nodes, members, Set.of())).isEmpty();
    members.put(0, new ArrayList<>(List.of("n1", "n2")));
    assertThat(planner.moves(nodes, members, Set.of())).containsExactly(new Move(0, null, "n3", "under-replicated"));
    assertThat(new PlacementPlanner(5, 4).moves(nodes, everyShardOn(2, "n1", "n2", "n3"), Set.of())).isEmpty();
  }

  @Test
  void underReplicatedShardsGainAReplicaAndOverReplicatedOnesLoseTheBusiestMember() {
    List<NodeView> nodes = activeNodes(4);
    Map<Integer, List<String>> members = everyShardOn(4, "n1", "n2", "n3");
    members.put(1, new ArrayList<>(List.of("n2")));
    members.put(3, new ArrayList<>(List.of("n4", "n3", "n2", "n1")));
    // n1 3, n2 4, n3 3, n4 1: shard 1 takes n4 (fewest), shard 3 drops n2 (most).
    assertThat(new PlacementPlanner(3, 2).moves(nodes, members, Set.of())).containsExactly(
        new Move(1, null, "n4", "under-replicated"), new Move(3, "n2", null, "over-replicated"));
    // Ties among the busiest go to the later node, counting the moves planned before.
    Map<Integer, List<String>> tied = everyShardOn(2, "n1", "n2", "n3", "n4");
    assertThat(new PlacementPlanner(3, 2).moves(nodes, tied, Set.of())).containsExactly(
        new Move(0, "n4", null, "over-replicated"), new Move(1, "n3", null, "over-replicated"));
    Run run = converge(new PlacementPlanner(3, 2), nodes, members, 3, 2, 10);
    members.values().forEach(m -> assertThat(m).hasSize(3).doesNotHaveDuplicates());
    assertThat(run.rounds()).isGreaterThan(0);
  }

  @Test
  void aMemberNoLongerInTheMapIsEvacuated() {
    List<NodeView> nodes = activeNodes(4);
    Map<Integer, List<String>> members = everyShardOn(3, "n1", "n2", "n3");
    members.put(1, new ArrayList<>(List.of("n1", "gone", "n2")));
    assertThat(new PlacementPlanner(3, 1).moves(nodes, members, Set.of()))
        .containsExactly(new Move(1, "gone", "n4", "removed"));
    members.put(1, new ArrayList<>(List.of("n1", "gone", "n2", "n3")));
    assertThat(new PlacementPlanner(3, 1).moves(activeNodes(3), members, Set.of()))
        .as("no target left, but one too many: just removed").containsExactly(new Move(1, "gone", null, "removed"));
  }

  @Test
  void withNoTargetAShardOfExactlyTheFactorKeepsItsLeavingMember() {
    List<NodeView> nodes = List.of(active("n1"), new NodeView("n2", NodeState.DRAINING, true), active("n3"));
    PlacementPlanner planner = new PlacementPlanner(3, 2);
    assertThat(planner.moves(nodes, everyShardOn(4, "n1", "n2", "n3"), Set.of())).isEmpty();
    List<NodeView> withDown = List.of(active("n1"), new NodeView("n2", NodeState.DOWN, false), active("n3"));
    assertThat(planner.moves(withDown, everyShardOn(4, "n1", "n2", "n3"), Set.of())).isEmpty();
  }

  @Test
  void leaderTransfersSpreadLeadersWithinOneAndOnlyToMembers() {
    List<NodeView> nodes = activeNodes(5);
    Map<Integer, List<String>> members = placed(nodes, 20, 3);
    Map<Integer, String> leaders = new HashMap<>();
    members.forEach((s, m) -> leaders.put(s, m.get(0))); // the earliest member: n1 leads far too many
    PlacementPlanner planner = new PlacementPlanner(3, 2);
    int transfers = 0;
    for (Optional<Transfer> t = planner.leaderTransfer(nodes, members, leaders); t.isPresent();
        t = planner.leaderTransfer(nodes, members, leaders)) {
      Transfer x = t.get();
      assertThat(x.from()).isEqualTo(leaders.get(x.shard()));
      assertThat(members.get(x.shard())).contains(x.to());
      assertThat(x.to()).isNotEqualTo(x.from());
      leaders.put(x.shard(), x.to());
      assertThat(++transfers).isLessThanOrEqualTo(20);
    }
    assertThat(transfers).isPositive();
    Map<String, Integer> led = new HashMap<>();
    leaders.values().forEach(id -> led.merge(id, 1, Integer::sum));
    assertThat(led).hasSize(5);
    assertThat(led.values()).allMatch(c -> c == 4);
  }

  @Test
  void noTransferToANodeThatHoldsNoReplicaOfTheShard() {
    List<NodeView> nodes = activeNodes(4);
    Map<Integer, List<String>> members = everyShardOn(4, "n1", "n2", "n3");
    // n4 leads nothing and holds nothing; n1's only voters n2 and n3 are one behind it.
    Map<Integer, String> leaders = Map.of(0, "n1", 1, "n1", 2, "n2", 3, "n3");
    assertThat(new PlacementPlanner(3, 1).leaderTransfer(nodes, members, leaders)).isEmpty();
    Map<Integer, String> skewed = Map.of(0, "n1", 1, "n1", 2, "n1", 3, "n3");
    assertThat(new PlacementPlanner(3, 1).leaderTransfer(nodes, members, skewed))
        .contains(new Transfer(0, "n1", "n2"));
  }

  @Test
  void aLeaderOnADrainingOrDownNodeHandsOverFirst() {
    List<NodeView> nodes = List.of(active("n1"), new NodeView("n2", NodeState.DRAINING, true), active("n3"),
        new NodeView("n4", NodeState.DOWN, false));
    Map<Integer, List<String>> members = everyShardOn(4, "n1", "n2", "n3");
    members.put(3, new ArrayList<>(List.of("n1", "n3", "n4")));
    PlacementPlanner planner = new PlacementPlanner(3, 1);
    assertThat(planner.leaderTransfer(nodes, members, Map.of(0, "n1", 1, "n3", 2, "n2", 3, "n4")))
        .contains(new Transfer(2, "n2", "n1"));
    assertThat(planner.leaderTransfer(nodes, members, Map.of(0, "n1", 1, "n1", 3, "n4")))
        .contains(new Transfer(3, "n4", "n3"));
  }

  @Test
  void invariant11_randomClustersConvergeAndNoMoveLeavesAShardWithFewerVoters() {
    for (int n = 1; n <= 7; n++) {
      for (int shards = 1; shards <= 24; shards++) {
        for (int rf = 1; rf <= 3; rf++) {
          long seed = n * 10_000L + shards * 10L + rf;
          Random random = new Random(seed);
          List<NodeView> nodes = new ArrayList<>();
          for (int i = 1; i <= n; i++) {
            int roll = random.nextInt(10);
            NodeState state = roll < 6 ? NodeState.ACTIVE : NodeState.values()[roll % 4];
            nodes.add(new NodeView("n" + i, state, state != NodeState.DOWN && random.nextInt(8) > 0));
          }
          List<String> candidates = new ArrayList<>(ids(nodes));
          candidates.add("gone");
          Map<Integer, List<String>> members = new TreeMap<>();
          for (int s = 0; s < shards; s++) {
            Collections.shuffle(candidates, random);
            members.put(s, new ArrayList<>(candidates.subList(0, 1 + random.nextInt(Math.min(rf + 1, candidates.size())))));
          }
          int cap = 1 + random.nextInt(3);
          String label = "seed " + seed + ", nodes " + nodes + ", rf " + rf;
          converge(new PlacementPlanner(rf, cap), nodes, members, rf, cap, 20 * shards + 20);

          List<String> usable = nodes.stream().filter(PlacementPlannerTest::usable).map(NodeView::id).toList();
          Set<String> leaving = new HashSet<>(List.of("gone"));
          nodes.stream().filter(v -> v.state() == NodeState.DRAINING || v.state() == NodeState.DOWN)
              .forEach(v -> leaving.add(v.id()));
          for (List<String> m : members.values()) {
            assertThat(m).as(label).doesNotHaveDuplicates().hasSizeLessThanOrEqualTo(rf);
            if (usable.size() >= rf) {
              assertThat(m).as(label).hasSize(rf).doesNotContainAnyElementsOf(leaving);
            } else if (m.size() < rf || m.stream().anyMatch(leaving::contains)) {
              assertThat(m).as(label + ": short or keeping a leaving member only when no target").containsAll(usable);
            }
          }
          assertBalanced(nodes, members, label);
        }
      }
    }
  }

  @Test
  void refusesANonPositiveFactorOrCap() {
    assertThatThrownBy(() -> new PlacementPlanner(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new PlacementPlanner(3, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
