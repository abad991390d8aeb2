package io.shardkv.raft.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardPlacementTest {

  private static List<String> nodes(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      ids.add("n" + i);
    }
    return ids;
  }

  @Test
  void asManyNodesAsTheFactorKeepsTheOldLayoutEveryNodeEveryShardAndShardSLedByNodeSModN() {
    ShardPlacement p = ShardPlacement.balanced(nodes(3), 8, 3);
    assertThat(p.everyNodeHoldsEveryShard()).isTrue();
    for (int s = 0; s < 8; s++) {
      assertThat(p.replicas(s)).containsExactly("n1", "n2", "n3");
      assertThat(p.preferredLeader(s)).isEqualTo("n" + (s % 3 + 1));
    }
  }

  @Test
  void fewerNodesThanTheFactorPutsEveryShardOnEveryNode() {
    ShardPlacement p = ShardPlacement.balanced(nodes(1), 4, 3);
    assertThat(p.replicationFactor()).isEqualTo(1);
    assertThat(p.shardsOf("n1")).containsExactly(0, 1, 2, 3);
  }

  @Test
  void everyShardHasFactorDistinctReplicasAndCountsPerNodeAreWithinOneOfTheMean() {
    for (int n = 1; n <= 9; n++) {
      for (int rf = 1; rf <= 5; rf++) {
        for (int shards = 1; shards <= 64; shards++) {
          ShardPlacement p = ShardPlacement.balanced(nodes(n), shards, rf);
          int expectedRf = Math.min(rf, n);
          Map<String, Integer> led = new HashMap<>();
          for (int s = 0; s < shards; s++) {
            assertThat(p.replicas(s)).doesNotHaveDuplicates().hasSize(expectedRf);
            assertThat(p.replicas(s)).contains(p.preferredLeader(s));
            led.merge(p.preferredLeader(s), 1, Integer::sum);
          }
          String label = n + " nodes, rf " + rf + ", " + shards + " shards: " + p;
          List<Integer> held = p.nodes().stream().map(node -> p.shardsOf(node).size()).toList();
          assertThat(held.stream().mapToInt(i -> i).max().getAsInt() - held.stream().mapToInt(i -> i).min().getAsInt())
              .as(label).isLessThanOrEqualTo(1);
          double meanLed = (double) shards / n;
          for (String node : p.nodes()) {
            assertThat(Math.abs(led.getOrDefault(node, 0) - meanLed)).as(label + " leaders of " + node)
                .isLessThanOrEqualTo(1.0);
          }
        }
      }
    }
  }

  @Test
  void theSameInputsGiveTheSameLayoutOnEveryNode() {
    assertThat(ShardPlacement.balanced(nodes(5), 16, 3).toString())
        .isEqualTo(ShardPlacement.balanced(nodes(5), 16, 3).toString());
  }

  @Test
  void refusesDuplicateNodesAndNonPositiveCounts() {
    assertThatThrownBy(() -> ShardPlacement.balanced(List.of("n1", "n1"), 4, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("distinct");
    assertThatThrownBy(() -> ShardPlacement.balanced(nodes(3), 0, 3)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShardPlacement.balanced(nodes(3), 4, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
