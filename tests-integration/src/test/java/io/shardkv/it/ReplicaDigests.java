package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ShardVerification;
import io.shardkv.api.v1.VerifyShardRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * DESIGN invariant 10 checked from outside, as an operator would: Admin VerifyShard through a
 * node, for every shard, until every replica's digest matches (replicas still catching up answer
 * "incomplete" for a moment). A "mismatch" fails at once: replicas that applied the same log
 * must hold the same data.
 */
final class ReplicaDigests {
  private ReplicaDigests() {}

  static void assertEveryShardMatches(ProcessCluster cluster, int throughNode) {
    List<ShardVerification>[] last = new List[1];
    Await.until(Duration.ofSeconds(60), "every shard's replica digests to match", () -> {
      last[0] = AdminGrpc.newBlockingStub(cluster.channel(throughNode)).withDeadlineAfter(30, TimeUnit.SECONDS)
          .verifyShard(VerifyShardRequest.newBuilder().setAll(true).build()).getShardsList();
      for (ShardVerification v : last[0]) {
        assertThat(v.getResult()).as("shard %d: %s", v.getShard(), v).isNotEqualTo("mismatch");
      }
      return last[0].size() == ProcessCluster.SHARDS
          && last[0].stream().allMatch(v -> v.getResult().equals("match") && v.getReplicasCount() == 3);
    });
  }
}
