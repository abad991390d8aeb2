package io.shardkv.control.map;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.CreateMap;
import io.shardkv.api.internal.v1.EndMove;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.MapMove;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.api.internal.v1.MovePhase;
import io.shardkv.api.internal.v1.NodeState;
import io.shardkv.api.internal.v1.SetNodeState;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterMapRulesTest {

  private static MapNode node(String id, int port) {
    return MapNode.newBuilder().setId(id).setHost("h").setRaftPort(port).setClientPort(port + 1000).build();
  }

  private static ClusterMap created() {
    MapCommandResult r = ClusterMapRules.apply(ClusterMapRules.empty(), MapCommand.newBuilder().setAtMillis(5)
        .setCreate(CreateMap.newBuilder().setShardCount(4).addNodes(node("n1", 1)).addNodes(node("n2", 2))
            .addNodes(node("n3", 3))).build());
    assertThat(r.getRefusal()).isEmpty();
    return r.getMap();
  }

  private static MapCommandResult apply(ClusterMap map, MapCommand.Builder c) {
    return ClusterMapRules.apply(map, c.setAtMillis(7).build());
  }

  @Test
  void creatingTheMapMakesTheSeedsActiveAtVersionOneAndOnlyOnce() {
    ClusterMap map = created();
    assertThat(map.getVersion()).isEqualTo(1);
    assertThat(map.getShardCount()).isEqualTo(4);
    assertThat(map.getNodesList()).extracting(MapNode::getState).containsOnly(NodeState.ACTIVE);
    assertThat(map.getNodes(0).getStateSinceMillis()).isEqualTo(5);
    MapCommandResult again = apply(map, MapCommand.newBuilder().setCreate(CreateMap.newBuilder().setShardCount(8)
        .addNodes(node("x", 9))));
    assertThat(again.getRefusal()).contains("exists already");
    assertThat(again.getMap()).isEqualTo(map);
  }

  @Test
  void nothingButCreationIsAcceptedBeforeTheMapExists() {
    MapCommandResult r = apply(ClusterMapRules.empty(), MapCommand.newBuilder().setAddNode(node("n4", 4)));
    assertThat(r.getRefusal()).contains("not created");
    assertThat(r.getMap().getVersion()).isZero();
  }

  @Test
  void invariant11_everyChangeRaisesTheVersionByOneAndEveryRefusalChangesNothing() {
    ClusterMap map = created();
    List<MapCommand.Builder> script = List.of(
        MapCommand.newBuilder().setAddNode(node("n4", 4)),                       // ok
        MapCommand.newBuilder().setAddNode(node("n4", 40)),                      // id taken
        MapCommand.newBuilder().setAddNode(node("n5", 4)),                       // address taken
        MapCommand.newBuilder().setSetState(SetNodeState.newBuilder().setNode("n4").setState(NodeState.ACTIVE)),
        MapCommand.newBuilder().setSetState(SetNodeState.newBuilder().setNode("n4").setState(NodeState.ACTIVE)),
        MapCommand.newBuilder().setSetState(SetNodeState.newBuilder().setNode("n9").setState(NodeState.DOWN)),
        MapCommand.newBuilder().setBeginMove(MapMove.newBuilder().setShard(1).setFromNode("n1").setToNode("n4")
            .setPhase(MovePhase.ADDING)),
        MapCommand.newBuilder().setBeginMove(MapMove.newBuilder().setShard(1).setFromNode("n2").setToNode("n4")),
        MapCommand.newBuilder().setBeginMove(MapMove.newBuilder().setShard(9).setToNode("n4")),
        MapCommand.newBuilder().setRemoveNode("n4"),                            // takes part in a move
        MapCommand.newBuilder().setUpdateMove(MapMove.newBuilder().setShard(1).setPhase(MovePhase.REMOVING)),
        MapCommand.newBuilder().setUpdateMove(MapMove.newBuilder().setShard(2).setPhase(MovePhase.REMOVING)),
        MapCommand.newBuilder().setEndMove(EndMove.newBuilder().setShard(1).setOutcome("finished")),
        MapCommand.newBuilder().setEndMove(EndMove.newBuilder().setShard(1).setOutcome("finished")),
        MapCommand.newBuilder().setRemoveNode("n4"),
        MapCommand.newBuilder().setRemoveNode("n4"));
    List<Boolean> expectChange = List.of(true, false, false, true, false, false, true, false, false, false, true,
        false, true, false, true, false);
    for (int i = 0; i < script.size(); i++) {
      MapCommandResult r = apply(map, script.get(i));
      if (expectChange.get(i)) {
        assertThat(r.getRefusal()).as("command %d", i).isEmpty();
        assertThat(r.getMap().getVersion()).as("command %d", i).isEqualTo(map.getVersion() + 1);
      } else {
        assertThat(r.getRefusal()).as("command %d", i).isNotEmpty();
        assertThat(r.getMap()).as("command %d", i).isEqualTo(map);
      }
      map = r.getMap();
    }
    assertThat(map.getNodesList()).extracting(MapNode::getId).containsExactly("n1", "n2", "n3");
    assertThat(map.getMovesList()).isEmpty();
    assertThat(map.getVersion()).isEqualTo(7); // created, then six changes
  }

  @Test
  void aMoveIsRecordedWithItsStartAndPhaseUntilItEnds() {
    ClusterMap map = apply(created(), MapCommand.newBuilder().setBeginMove(MapMove.newBuilder().setShard(3)
        .setFromNode("n1").setToNode("n2").setPhase(MovePhase.ADDING).setReason("balance"))).getMap();
    MapMove m = ClusterMapRules.move(map, 3).orElseThrow();
    assertThat(m.getStartedMillis()).isEqualTo(7);
    assertThat(m.getReason()).isEqualTo("balance");
    map = apply(map, MapCommand.newBuilder().setUpdateMove(MapMove.newBuilder().setShard(3)
        .setPhase(MovePhase.REMOVING))).getMap();
    assertThat(ClusterMapRules.move(map, 3).orElseThrow().getPhase()).isEqualTo(MovePhase.REMOVING);
    assertThat(ClusterMapRules.move(map, 3).orElseThrow().getFromNode()).isEqualTo("n1");
  }

  @Test
  void aNodeCannotBeSetBackToJoiningAndANewNodeStartsJoining() {
    ClusterMap map = apply(created(), MapCommand.newBuilder().setAddNode(node("n4", 4))).getMap();
    assertThat(ClusterMapRules.node(map, "n4").orElseThrow().getState()).isEqualTo(NodeState.JOINING);
    assertThat(apply(map, MapCommand.newBuilder().setSetState(SetNodeState.newBuilder().setNode("n1")
        .setState(NodeState.JOINING))).getRefusal()).contains("cannot be set back");
  }
}
