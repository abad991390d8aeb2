package io.shardkv.control.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.topology.ShardPlacement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class LeaderBalancerTest {
  private static final List<String> PEERS = List.of("n1", "n2", "n3");

  private static LeaderBalancer balancer(String self, String[] leaders, List<Integer> claimed, boolean ready) {
    return new LeaderBalancer(self, ShardPlacement.balanced(PEERS, leaders.length, PEERS.size()),
        s -> Optional.ofNullable(leaders[s]), () -> ready,
        s -> {
          claimed.add(s);
          leaders[s] = self;
          return true;
        });
  }

  @Test
  void aNodeLeadingTwoFewerThanTheBusiestClaimsOneOfItsOwnShardsFirst() {
    String[] leaders = {"n3", "n3", "n3", "n3"};
    assertThat(balancer("n1", leaders, new ArrayList<>(), true).shardToClaim()).hasValue(0);
    assertThat(balancer("n2", leaders, new ArrayList<>(), true).shardToClaim()).hasValue(1);
    // n1 now leads 1 against n3's 3: it claims shard 3, the other one it owns.
    leaders[0] = "n1";
    assertThat(balancer("n1", leaders, new ArrayList<>(), true).shardToClaim()).hasValue(3);
    assertThat(balancer("n2", leaders, new ArrayList<>(), true).shardToClaim()).hasValue(1);
    // Without a shard of its own among the busiest node's, it takes the lowest one.
    String[] others = {"n2", "n3", "n3", "n2", "n3", "n3"};
    assertThat(balancer("n1", others, new ArrayList<>(), true).shardToClaim()).hasValue(1); // n1 owns 0 and 3, both led by n2
  }

  @Test
  void roundsConvergeToASpreadOfAtMostOne() {
    String[] leaders = {"n1", "n1", "n1", "n1", "n1", "n1", "n1", "n1"};
    List<Integer> claimed = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      for (String self : PEERS) {
        balancer(self, leaders, claimed, true).balanceOnce();
      }
    }
    long[] counts = PEERS.stream().mapToLong(p -> Arrays.stream(leaders).filter(p::equals).count()).toArray();
    assertThat(Arrays.stream(counts).max().getAsLong() - Arrays.stream(counts).min().getAsLong()).isLessThanOrEqualTo(1);
    assertThat(claimed).hasSizeLessThanOrEqualTo(6).doesNotHaveDuplicates();
  }

  @Test
  void aBalancedClusterIsLeftAloneSoASingleAdminTransferStands() {
    String[] leaders = {"n1", "n2", "n2", "n3"}; // spread 1 after an operator moved shard 2 to n2
    for (String self : PEERS) {
      assertThat(balancer(self, leaders, new ArrayList<>(), true).shardToClaim()).isEqualTo(OptionalInt.empty());
    }
  }

  @Test
  void nothingIsClaimedDuringAnElectionOrBeforeTheNodeCaughtUp() {
    String[] electing = {"n3", null, "n3", "n3"};
    assertThat(balancer("n1", electing, new ArrayList<>(), true).shardToClaim()).isEmpty();

    String[] unbalanced = {"n3", "n3", "n3", "n3"};
    List<Integer> claimed = new ArrayList<>();
    balancer("n1", unbalanced, claimed, false).balanceOnce();
    assertThat(claimed).isEmpty();
  }

  /**
   * Where nodes hold only some shards, a node sees only its own shards' leaders: it claims just
   * the shards the placement prefers it to lead, so every node ends with its preferred share.
   */
  @Test
  void withFiveNodesAndThreeReplicasEachNodeClaimsOnlyTheShardsItIsPreferredLeaderOf() {
    List<String> nodes = List.of("n1", "n2", "n3", "n4", "n5");
    ShardPlacement placement = ShardPlacement.balanced(nodes, 10, 3);
    String[] leaders = new String[10];
    for (int s = 0; s < 10; s++) {
      leaders[s] = placement.replicas(s).get(0); // wherever the elections happened to go
    }
    for (int round = 0; round < 10; round++) {
      for (String node : nodes) {
        LeaderBalancer b = new LeaderBalancer(node, placement,
            s -> placement.holds(node, s) ? Optional.of(leaders[s]) : Optional.empty(), () -> true, s -> {
              assertThat(placement.preferredLeader(s)).isEqualTo(node);
              leaders[s] = node;
              return true;
            });
        b.balanceOnce();
      }
    }
    for (int s = 0; s < 10; s++) {
      assertThat(leaders[s]).as("shard " + s).isEqualTo(placement.preferredLeader(s));
    }
    assertThat(Arrays.stream(leaders).filter("n1"::equals).count()).isEqualTo(2);
  }
}
