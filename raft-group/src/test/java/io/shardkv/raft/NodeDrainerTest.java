package io.shardkv.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
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

  private static FakeMembership placed() {
    FakeMembership m = new FakeMembership();
    ShardPlacement p = ShardPlacement.balanced(NODES, 4, 3);
    for (int s = 0; s < 4; s++) {
      m.members.put(s, new ArrayList<>(p.replicas(s)));
      m.leaders.put(s, p.preferredLeader(s));
    }
    return m;
  }

  @Test
  void everyReplicaMovesOffAddedBeforeItIsRemovedAndLeadershipHandedOverFirst() throws Exception {
    FakeMembership m = placed();
    MetricRegistry metrics = new MetricRegistry();
    List<NodeDrainer.Move> moves = new NodeDrainer(NODES, 4, m, metrics).drain("n4");
    assertThat(moves).isNotEmpty().allMatch(mv -> mv.from().equals("n4") && !mv.to().equals("n4"));
    for (int s = 0; s < 4; s++) {
      assertThat(m.members.get(s)).hasSize(3).doesNotContain("n4");
    }
    for (NodeDrainer.Move mv : moves) {
      int add = m.calls.indexOf("add " + mv.shard() + " " + mv.to() + " (3 before)");
      int remove = m.calls.indexOf("remove " + mv.shard() + " n4");
      assertThat(add).isNotNegative().isLessThan(remove);
    }
    assertThat(m.leaders.values()).doesNotContain("n4");
    assertThat(metrics.counter(MetricNames.replicaMoves("finished")).getCount()).isEqualTo(moves.size());
  }

  @Test
  void targetsAreTheNodesHoldingTheFewestSoTheRestStayBalanced() throws Exception {
    FakeMembership m = placed();
    new NodeDrainer(NODES, 4, m, new MetricRegistry()).drain("n4");
    Map<String, Integer> held = new HashMap<>();
    m.members.values().forEach(ms -> ms.forEach(n -> held.merge(n, 1, Integer::sum)));
    assertThat(held).containsOnlyKeys("n1", "n2", "n3").containsValues(4);
  }

  @Test
  void aDrainThatWouldLeaveAShardShortIsRefusedBeforeAnythingChanges() throws Exception {
    FakeMembership m = placed();
    new NodeDrainer(NODES, 4, m, new MetricRegistry()).drain("n4");
    m.down.add("n4"); // drained and stopped: it takes nothing
    m.calls.clear();
    assertThatThrownBy(() -> new NodeDrainer(NODES, 4, m, new MetricRegistry()).drain("n3"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot drain n3")
        .hasMessageContaining("Nothing was changed");
    assertThat(m.calls).isEmpty();
  }

  @Test
  void unknownNodesAreRefusedAndAnEmptyNodeIsNoWork() throws Exception {
    FakeMembership m = placed();
    assertThatThrownBy(() -> new NodeDrainer(NODES, 4, m, new MetricRegistry()).drain("n9"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n9");
    new NodeDrainer(NODES, 4, m, new MetricRegistry()).drain("n4");
    assertThat(new NodeDrainer(NODES, 4, m, new MetricRegistry()).drain("n4")).isEmpty();
  }
}
