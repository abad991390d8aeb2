package io.shardkv.raft.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.replica.DigestPoint;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ReplicaDigest;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The comparison behind Admin VerifyShard, on hand-made digest histories. */
class ShardVerifierTest {
  private static final ReplicaDigest A = new ReplicaDigest(1, 1, 1);
  private static final ReplicaDigest B = new ReplicaDigest(2, 2, 1);

  private static DigestPoint at(long index, ReplicaDigest d) {
    return new DigestPoint(new AppliedIndex(1, index), d);
  }

  private static ShardVerifier.Answer answer(String node, DigestPoint... points) {
    return new ShardVerifier.Answer(node, Optional.of(List.of(points)), Optional.empty());
  }

  private static ShardVerification.ReplicaState stateOf(ShardVerification v, String node) {
    return v.replicas().stream().filter(r -> r.node().equals(node)).findFirst().orElseThrow().state();
  }

  @Test
  void replicasAtDifferentIndexesAreComparedAtTheNewestOneTheyShare() {
    ShardVerification v = ShardVerifier.compare(0, List.of(
        answer("n1", at(5, A), at(6, A), at(7, B)),
        answer("n2", at(6, A), at(7, B), at(8, A)),
        answer("n3", at(4, B), at(5, A), at(6, A), at(7, B))));
    assertThat(v.result()).isEqualTo(ShardVerification.Result.MATCH);
    assertThat(v.comparedAt()).contains(new AppliedIndex(1, 7));
    assertThat(v.replicas()).allMatch(r -> r.state() == ShardVerification.ReplicaState.MATCHES);
  }

  @Test
  void invariant10_replicaDigest_aReplicaThatDiffersIsNamedAndOutvoted() {
    ShardVerification v = ShardVerifier.compare(2, List.of(
        answer("n1", at(9, A)), answer("n2", at(9, B)), answer("n3", at(9, A))));
    assertThat(v.result()).isEqualTo(ShardVerification.Result.MISMATCH);
    assertThat(stateOf(v, "n2")).isEqualTo(ShardVerification.ReplicaState.DIFFERS);
    assertThat(stateOf(v, "n1")).isEqualTo(ShardVerification.ReplicaState.MATCHES);
    assertThat(v.detail()).contains("[n2]");
  }

  @Test
  void aStoppedReplicaIsAMismatchAndAnUnansweredOneLeavesTheCheckIncomplete() {
    ShardVerification failed = ShardVerifier.compare(0, List.of(answer("n1", at(3, A)), answer("n2", at(3, A)),
        new ShardVerifier.Answer("n3", Optional.of(List.of(at(3, A))), Optional.of("corrupt"))));
    assertThat(failed.result()).isEqualTo(ShardVerification.Result.MISMATCH);
    assertThat(stateOf(failed, "n3")).isEqualTo(ShardVerification.ReplicaState.FAILED);

    ShardVerification unreachable = ShardVerifier.compare(0, List.of(answer("n1", at(3, A)), answer("n2", at(3, A)),
        new ShardVerifier.Answer("n3", Optional.empty(), Optional.empty())));
    assertThat(unreachable.result()).isEqualTo(ShardVerification.Result.INCOMPLETE);
    assertThat(stateOf(unreachable, "n1")).isEqualTo(ShardVerification.ReplicaState.MATCHES);
    assertThat(stateOf(unreachable, "n3")).isEqualTo(ShardVerification.ReplicaState.UNREACHABLE);
  }

  @Test
  void replicasWithNoIndexInCommonAreNotCompared() {
    ShardVerification v = ShardVerifier.compare(0, List.of(answer("n1", at(3, A)), answer("n2", at(90, B))));
    assertThat(v.result()).isEqualTo(ShardVerification.Result.INCOMPLETE);
    assertThat(v.comparedAt()).isEmpty();
    assertThat(v.detail()).contains("no remembered index");
  }
}
