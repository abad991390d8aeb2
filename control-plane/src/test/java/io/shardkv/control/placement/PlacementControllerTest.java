package io.shardkv.control.placement;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.MapMove;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.api.internal.v1.MovePhase;
import io.shardkv.api.internal.v1.NodeState;
import io.shardkv.control.map.ClusterMapRules;
import io.shardkv.control.map.MapAccess;
import io.shardkv.raft.metrics.MetricNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The controller's decisions against an in-memory map (ClusterMapRules) and in-memory shards. */
class PlacementControllerTest {
  private static final int SHARDS = 4;

  /** The map as the meta group would keep it. */
  private static final class FakeMap implements MapAccess {
    ClusterMap map = ClusterMapRules.empty();

    @Override
    public ClusterMap read() {
      return map;
    }

    @Override
    public synchronized MapCommandResult submit(MapCommand command) {
      MapCommandResult r = ClusterMapRules.apply(map, command);
      map = r.getMap();
      return r;
    }
  }

  /** Shards' members in memory; nodes in {@code down} do not answer. */
  private static final class FakeShards implements PlacementController.Replicas {
    final Map<Integer, List<String>> members = new HashMap<>();
    final Map<Integer, Set<String>> copies = new HashMap<>();
    final Set<String> down = new HashSet<>();
    final List<String> dropped = new ArrayList<>();

    FakeShards(String... nodes) {
      for (int s = 0; s < SHARDS; s++) {
        members.put(s, new ArrayList<>(List.of(nodes)));
        copies.put(s, new TreeSet<>(List.of(nodes)));
      }
    }

    @Override
    public synchronized List<String> members(int shard) {
      return List.copyOf(members.get(shard));
    }

    @Override
    public Optional<String> knownLeader(int shard) {
      return Optional.of(members(shard).get(0));
    }

    @Override
    public synchronized List<String> addReplica(int shard, String node) {
      if (!members.get(shard).contains(node)) {
        members.get(shard).add(node);
        copies.get(shard).add(node);
      }
      return members(shard);
    }

    @Override
    public synchronized List<String> removeReplica(int shard, String node) {
      members.get(shard).remove(node);
      if (!down.contains(node)) {
        copies.get(shard).remove(node);
      }
      return members(shard);
    }

    @Override
    public String transferLeader(int shard, String toNode) {
      return toNode;
    }

    @Override
    public String transferLeader(int shard, String toNode, Duration timeout) {
      return toNode;
    }

    @Override
    public synchronized List<String> nodesUp(List<String> nodes) {
      return nodes.stream().filter(n -> !down.contains(n)).toList();
    }

    @Override
    public synchronized void dropStaleReplica(int shard, String node) {
      dropped.add(shard + "@" + node);
      copies.get(shard).remove(node);
    }

    @Override
    public synchronized Set<Integer> shardsHeldBy(String node) {
      Set<Integer> held = new TreeSet<>();
      copies.forEach((s, c) -> {
        if (c.contains(node)) {
          held.add(s);
        }
      });
      return held;
    }
  }

  private final FakeMap map = new FakeMap();
  private final AtomicLong clock = new AtomicLong(1_000);
  private final MetricRegistry metrics = new MetricRegistry();
  private PlacementController controller;

  private PlacementController controller(FakeShards shards, boolean leads) {
    List<MapNode> seeds = List.of("n1", "n2", "n3").stream().map(n -> MapNode.newBuilder().setId(n).setHost(n)
        .setRaftPort(1).setClientPort(2).build()).toList();
    controller = new PlacementController(map, shards, () -> leads, () -> true, seeds, SHARDS, 3,
        new PlacementPolicy(Duration.ofSeconds(1), 2, Duration.ofSeconds(30)), metrics, clock::get);
    return controller;
  }

  @AfterEach
  void close() {
    if (controller != null) {
      controller.close();
    }
  }

  /** Checks until no move is recorded or running, at most {@code rounds} times. */
  private void settle(PlacementController c, int rounds) throws Exception {
    for (int i = 0; i < rounds; i++) {
      c.check();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!map.read().getMovesList().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(5); // the movers run on their own threads
      }
    }
  }

  @Test
  void onlyTheMetaLeaderActsAndItCreatesTheMapFromTheSeeds() throws Exception {
    controller(new FakeShards("n1", "n2", "n3"), false).check();
    assertThat(map.read().getVersion()).isZero();
    controller.close();
    controller(new FakeShards("n1", "n2", "n3"), true).check();
    assertThat(map.read().getNodesList()).extracting(MapNode::getId).containsExactly("n1", "n2", "n3");
    assertThat(map.read().getShardCount()).isEqualTo(SHARDS);
  }

  @Test
  void aJoiningNodeThatAnswersBecomesActiveAndGetsItsShare() throws Exception {
    FakeShards shards = new FakeShards("n1", "n2", "n3");
    PlacementController c = controller(shards, true);
    c.check();
    map.submit(MapCommand.newBuilder().setAddNode(MapNode.newBuilder().setId("n4").setHost("n4").setRaftPort(1)
        .setClientPort(2)).build());
    settle(c, 6);
    assertThat(ClusterMapRules.node(map.read(), "n4").orElseThrow().getState()).isEqualTo(NodeState.ACTIVE);
    Map<String, Integer> held = new HashMap<>();
    shards.members.values().forEach(m -> {
      assertThat(m).hasSize(3);
      m.forEach(n -> held.merge(n, 1, Integer::sum));
    });
    assertThat(held).containsOnlyKeys("n1", "n2", "n3", "n4").containsValues(3);
    assertThat(metrics.counter(MetricNames.replicaMoves("finished")).getCount()).isEqualTo(3);
  }

  @Test
  void invariant11_aMoveLeftBeforeItsTargetVotedIsRolledBackAndOneLeftAfterIsFinished() throws Exception {
    FakeShards shards = new FakeShards("n1", "n2", "n3");
    PlacementController c = controller(shards, true);
    c.check();
    map.submit(MapCommand.newBuilder().setAddNode(MapNode.newBuilder().setId("n4").setHost("n4").setRaftPort(1)
        .setClientPort(2)).build());
    shards.down.add("n4"); // joining, not answering: takes nothing
    // A previous leader's moves: shard 0 never got n4 as a voter, shard 1 did.
    map.submit(MapCommand.newBuilder().setBeginMove(MapMove.newBuilder().setShard(0).setFromNode("n1")
        .setToNode("n4").setPhase(MovePhase.ADDING)).build());
    map.submit(MapCommand.newBuilder().setBeginMove(MapMove.newBuilder().setShard(1).setFromNode("n2")
        .setToNode("n4").setPhase(MovePhase.REMOVING)).build());
    shards.members.get(1).add("n4");
    settle(c, 1);
    assertThat(map.read().getMovesList()).isEmpty();
    assertThat(shards.members.get(0)).containsExactlyInAnyOrder("n1", "n2", "n3");
    assertThat(shards.members.get(1)).containsExactlyInAnyOrder("n1", "n3", "n4");
    assertThat(metrics.counter(MetricNames.replicaMoves("rolled_back")).getCount()).isEqualTo(1);
  }

  @Test
  void aNodeDownPastTheTimeoutIsMarkedDownItsReplicasRecreatedAndItsStaleCopiesDroppedWhenItReturns()
      throws Exception {
    FakeShards shards = new FakeShards("n1", "n2", "n3");
    PlacementController c = controller(shards, true);
    c.check();
    map.submit(MapCommand.newBuilder().setAddNode(MapNode.newBuilder().setId("n4").setHost("n4").setRaftPort(1)
        .setClientPort(2)).build());
    settle(c, 6); // n4 ACTIVE with 3 replicas
    shards.down.add("n2");
    c.check();
    clock.addAndGet(29_000);
    c.check();
    assertThat(ClusterMapRules.node(map.read(), "n2").orElseThrow().getState()).isEqualTo(NodeState.ACTIVE);
    clock.addAndGet(1_000);
    settle(c, 6);
    assertThat(ClusterMapRules.node(map.read(), "n2").orElseThrow().getState()).isEqualTo(NodeState.DOWN);
    shards.members.values().forEach(m -> assertThat(m).hasSize(3).doesNotContain("n2"));
    shards.down.remove("n2"); // it returns, still holding its old copies
    settle(c, 6);
    assertThat(ClusterMapRules.node(map.read(), "n2").orElseThrow().getState()).isEqualTo(NodeState.ACTIVE);
    assertThat(shards.dropped).isNotEmpty().allMatch(d -> d.endsWith("@n2"));
    shards.members.values().forEach(m -> assertThat(m).hasSize(3));
  }
}
