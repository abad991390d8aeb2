package io.shardkv.control.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.CreateMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.api.internal.v1.NodeState;
import io.shardkv.control.map.ClusterMapRules;
import io.shardkv.control.map.MapAccess;
import io.shardkv.control.placement.PlacementPlanner;
import io.shardkv.raft.topology.ShardPlacement;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeDrainerTest {

  /** Shards' members and leaders in memory, recording every call. */
  private static final class FakeMembership implements NodeDrainer.Membership {
    final Map<Integer, List<String>> members = new HashMap<>();
    final Map<Integer, String> leaders = new HashMap<>();
    final List<String> calls = new ArrayList<>();
    final java.util.Set<String> down = new java.util.HashSet<>();

    @Override
    public List<String> nodesUp(List<String> nodes) {
      return nodes.stream().filter(n -> !down.contains(n)).toList();
    }

    @Override
    public List<String> members(int shard) {
      return List.copyOf(members.get(shard));
    }

    @Override
    public Optional<String> knownLeader(int shard) {
      return Optional.ofNullable(leaders.get(shard));
    }

    @Override
    public List<String> addReplica(int shard, String node) {
      calls.add("add " + shard + " " + node + " (" + members.get(shard).size() + " before)");
      members.get(shard).add(node);
      return members(shard);
    }

    @Override
    public List<String> removeReplica(int shard, String node) {
      calls.add("remove " + shard + " " + node);
      members.get(shard).remove(node);
      return members(shard);
    }

    @Override
    public String transferLeader(int shard, String toNode) {
      calls.add("lead " + shard + " " + toNode);
      leaders.put(shard, toNode);
      return toNode;
    }
  }

  private static final List<String> NODES = List.of("n1", "n2", "n3", "n4");

  /**
   * The cluster map under {@link ClusterMapRules}, with the placement controller's work done at
   * once: when a node is marked DRAINING, the planner's moves are applied to the membership.
   */
  private static final class FakeMap implements MapAccess {
    final FakeMembership membership;
    final List<MapCommand> submitted = new ArrayList<>();
    boolean controllerRuns = true;
    ClusterMap map;

    FakeMap(FakeMembership membership) {
      this.membership = membership;
      this.map = ClusterMapRules.apply(ClusterMapRules.empty(), MapCommand.newBuilder().setCreate(CreateMap.newBuilder()
          .setShardCount(4).addAllNodes(NODES.stream().map(n -> MapNode.newBuilder().setId(n).setHost(n)
              .setRaftPort(1).setClientPort(2).build()).toList())).build()).getMap();
    }

    @Override
    public ClusterMap read() {
      return map;
    }

    @Override
    public MapCommandResult submit(MapCommand command) throws IOException {
      submitted.add(command);
      MapCommandResult r = ClusterMapRules.apply(map, command);
      map = r.getMap();
      if (controllerRuns) {
        settle();
      }
      return r;
    }

    private void settle() throws IOException {
      PlacementPlanner planner = new PlacementPlanner(3, 2);
      for (int round = 0; round < 20; round++) {
        Map<Integer, List<String>> members = new HashMap<>();
        for (int s = 0; s < 4; s++) {
          members.put(s, membership.members(s));
        }
        List<PlacementPlanner.NodeView> views = map.getNodesList().stream().map(n -> new PlacementPlanner.NodeView(
            n.getId(), PlacementPlanner.NodeState.valueOf(n.getState().name()), !membership.down.contains(n.getId())))
            .toList();
        List<PlacementPlanner.Move> moves = planner.moves(views, members, java.util.Set.of());
        if (moves.isEmpty()) {
          return;
        }
        for (PlacementPlanner.Move mv : moves) {
          if (mv.to() != null) {
            membership.addReplica(mv.shard(), mv.to());
          }
          if (mv.from() != null) {
            membership.removeReplica(mv.shard(), mv.from());
          }
        }
      }
    }
  }

  private static FakeMembership placed() {
    FakeMembership m = new FakeMembership();
    ShardPlacement p = ShardPlacement.balanced(NODES, 4, 3);
    for (int s = 0; s < 4; s++) {
      m.members.put(s, new ArrayList<>(p.replicas(s)));
      m.leaders.put(s, p.preferredLeader(s));
    }
    return m;
  }

  private static NodeDrainer drainer(FakeMembership m, FakeMap map) {
    java.util.Set<String> active = map.read().getNodesList().stream()
        .filter(n -> n.getState() == NodeState.ACTIVE).map(MapNode::getId).collect(java.util.stream.Collectors.toSet());
    return new NodeDrainer(NODES, active::contains, 4, m, map);
  }

  @Test
  void aDrainMarksTheNodeDrainingAndReturnsOnceItHoldsNoReplicaWithTheMovesMade() throws Exception {
    FakeMembership m = placed();
    FakeMap map = new FakeMap(m);
    List<NodeDrainer.Move> moves = drainer(m, map).drain("n4", Duration.ofSeconds(10));
    assertThat(ClusterMapRules.node(map.read(), "n4").orElseThrow().getState()).isEqualTo(NodeState.DRAINING);
    assertThat(moves).isNotEmpty().allMatch(mv -> mv.from().equals("n4") && !mv.to().equals("n4"));
    for (int s = 0; s < 4; s++) {
      assertThat(m.members.get(s)).hasSize(3).doesNotContain("n4");
    }
    for (NodeDrainer.Move mv : moves) {
      assertThat(m.members.get(mv.shard())).contains(mv.to());
      int add = m.calls.indexOf("add " + mv.shard() + " " + mv.to() + " (3 before)");
      int remove = m.calls.indexOf("remove " + mv.shard() + " n4");
      assertThat(add).isNotNegative().isLessThan(remove);
    }
    Map<String, Integer> held = new HashMap<>();
    m.members.values().forEach(ms -> ms.forEach(n -> held.merge(n, 1, Integer::sum)));
    assertThat(held).containsOnlyKeys("n1", "n2", "n3").containsValues(4);
  }

  @Test
  void aDrainThatWouldLeaveAShardShortIsRefusedBeforeAnythingChanges() throws Exception {
    FakeMembership m = placed();
    FakeMap map = new FakeMap(m);
    drainer(m, map).drain("n4", Duration.ofSeconds(10));
    m.down.add("n4"); // drained and stopped: it takes nothing
    m.calls.clear();
    map.submitted.clear();
    assertThatThrownBy(() -> drainer(m, map).drain("n3", Duration.ofSeconds(10)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot drain n3")
        .hasMessageContaining("Nothing was changed");
    assertThat(m.calls).isEmpty();
    assertThat(map.submitted).isEmpty();
    assertThat(ClusterMapRules.node(map.read(), "n3").orElseThrow().getState()).isEqualTo(NodeState.ACTIVE);
  }

  @Test
  void unknownNodesAreRefusedAndAnEmptyNodeIsNoWork() throws Exception {
    FakeMembership m = placed();
    FakeMap map = new FakeMap(m);
    assertThatThrownBy(() -> drainer(m, map).drain("n9", Duration.ofSeconds(10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n9");
    drainer(m, map).drain("n4", Duration.ofSeconds(10));
    assertThat(drainer(m, map).drain("n4", Duration.ofSeconds(10))).isEmpty();
  }

  @Test
  void aDrainNotFinishedInTimeSaysItCarriesOn() {
    FakeMembership m = placed();
    FakeMap map = new FakeMap(m);
    map.controllerRuns = false;
    assertThatThrownBy(() -> drainer(m, map).drain("n4", Duration.ofMillis(300)))
        .isInstanceOf(IOException.class).hasMessageContaining("carries on");
    assertThat(ClusterMapRules.node(map.read(), "n4").orElseThrow().getState()).isEqualTo(NodeState.DRAINING);
  }
}
