package io.shardkv.raft.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.bootstrap.GroupBootstrap.Answer;
import io.shardkv.raft.bootstrap.GroupBootstrap.Decision;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupBootstrapTest {
  private static final List<String> PLACED = List.of("n1", "n3", "n4");

  @Test
  void createsWithThePlacementOnlyWhenEveryOtherPlacedReplicaSaysItLacksTheGroup() {
    Decision d = GroupBootstrap.decide("n1", PLACED, Map.of("n3", new Answer.Lacks(), "n4", new Answer.Lacks(),
        "n2", new Answer.Unreachable("down")));
    assertThat(d).isInstanceOf(Decision.Host.class);
    assertThat(((Decision.Host) d).members()).isEqualTo(PLACED);
  }

  @Test
  void waitsWhileAPlacedReplicaHasNotAnswered() {
    assertThat(GroupBootstrap.decide("n1", PLACED, Map.of("n3", new Answer.Lacks(), "n4", new Answer.Unreachable("x"))))
        .isInstanceOf(Decision.Wait.class);
    assertThat(GroupBootstrap.decide("n1", PLACED, Map.of("n3", new Answer.Lacks())))
        .isInstanceOf(Decision.Wait.class);
  }

  /** Two new nodes must never create a group that exists elsewhere: they could elect each other. */
  @Test
  void neverCreatesAGroupAnotherNodeHostsWithoutThisNode() {
    Decision d = GroupBootstrap.decide("n4", List.of("n1", "n4", "n5"), Map.of(
        "n1", new Answer.Has(List.of("n1", "n2", "n3")), "n5", new Answer.Lacks()));
    assertThat(d).isInstanceOf(Decision.Skip.class);
    assertThat(((Decision.Skip) d).reason()).contains("n1", "[n1, n2, n3]");
  }

  @Test
  void joinsWithTheMembersAnotherNodeReportsWhenThisNodeIsOne() {
    Decision d = GroupBootstrap.decide("n3", PLACED, Map.of(
        "n1", new Answer.Has(List.of("n1", "n2", "n3")), "n4", new Answer.Unreachable("down")));
    assertThat(d).isInstanceOf(Decision.Host.class);
    assertThat(((Decision.Host) d).members()).containsExactly("n1", "n2", "n3");
  }
}
