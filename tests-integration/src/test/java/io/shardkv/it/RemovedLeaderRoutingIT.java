package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.RemoveReplicaRequest;
import io.shardkv.api.v1.ShardStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * A node serves every shard's keys whether it holds a replica of the shard or not
 * (docs/operations.md, RemoveReplica; AdminIT checks it for a node that followed the shard).
 *
 * <p>Found by ApiFuzzIT (seed 2, try 35: {@code RemoveReplica{shard: 2, node_id: "n3"}} sent to
 * n3 while n3 led shard 2): once RemoveReplica takes a node out of the shard it LEADS, that node
 * answers every linearizable read of the shard's keys with UNAVAILABLE
 * ({@code AlreadyClosedException: SlidingWindow$Client ... is closed}) and every write with
 * UNAVAILABLE ({@code GroupMismatchException: n3: group-... not found}: it keeps sending them to
 * itself), for as long as the test waited (minutes). This test fails until the node's routing
 * of a shard it no longer hosts recovers from that.
 */
class RemovedLeaderRoutingIT extends ClusterTest {
  private static final String TOKEN = "removed-leader-it-token-0123456789";
  private static final int SHARD = 2;

  @Test
  void aNodeRemovedFromTheShardItLedStillServesTheShardsKeys() throws Exception {
    Path token = dir.resolve("admin-token");
    Files.writeString(token, TOKEN + "\n");
    // Leaders stay where they are: the test removes the one it found.
    cluster = new ProcessCluster(dir, "security.admin-token-file = \"" + token + "\"\n"
        + "raft.leader-balance-interval = 0s");
    cluster.startAll();
    String key = Keys.inShard(SHARD, 1, "routed-").get(0);
    put(0, key, "before");

    List<String> leader = new ArrayList<>();
    Await.until(Duration.ofSeconds(30), "a known leader of shard " + SHARD, () -> {
      String l = shard(0).getLeader();
      return !l.isEmpty() && leader.add(l);
    });
    int node = Integer.parseInt(leader.get(0).substring(1)) - 1;
    assertThat(admin(node).removeReplica(RemoveReplicaRequest.newBuilder().setShard(SHARD)
        .setNodeId(leader.get(0)).build()).getReplicasList()).doesNotContain(leader.get(0));
    Await.until(Duration.ofSeconds(30), leader.get(0) + " no longer hosts shard " + SHARD,
        () -> !shard(node).getHosted());

    // Each asked again for 15 s, as a client would while an election settles; both are reported.
    String read = untilAnswered(() -> cluster.kv(node).get(GetRequest.newBuilder().setKey(bytes(key)).build())
        .getValue().toStringUtf8());
    String write = untilAnswered(() -> cluster.kv(node).put(PutRequest.newBuilder().setKey(bytes(key))
        .setValue(bytes("after")).build()).toString());
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(read).as("a linearizable get of %s through %s, removed from shard %d while it led it",
        key, leader.get(0), SHARD).isEqualTo("before");
    soft.assertThat(write).as("a put of %s through %s, removed from shard %d while it led it",
        key, leader.get(0), SHARD).doesNotStartWith("FAILED");
    soft.assertAll();
  }

  /** The answer, or "FAILED: <last status>" if every attempt for 15 s failed. */
  private static String untilAnswered(java.util.function.Supplier<String> call) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    String lastFailure = "no attempt";
    while (System.nanoTime() < deadline) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        lastFailure = e.getStatus().toString();
        Thread.sleep(100); // polling: the next attempt
      }
    }
    return "FAILED: " + lastFailure;
  }

  private ShardStatus shard(int node) {
    return AdminGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance()).getShards(SHARD);
  }

  private AdminGrpc.AdminBlockingStub admin(int node) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
    return AdminGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }
}
