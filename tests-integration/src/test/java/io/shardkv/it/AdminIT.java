package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.shardkv.api.v1.AddReplicaRequest;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.NodeStatus;
import io.shardkv.api.v1.RemoveReplicaRequest;
import io.shardkv.api.v1.ShardStatus;
import io.shardkv.api.v1.TakeSnapshotRequest;
import io.shardkv.api.v1.TakeSnapshotResponse;
import io.shardkv.api.v1.TransferLeaderRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Admin service against three node processes, called the way an operator does with
 * grpcurl: status, admin-only calls refused without the token, leadership transfer, and a
 * replica removed and added back (surviving a kill -9 of the node in between). The tests share
 * one cluster: each uses its own keys, and each leaves every shard on all three nodes.
 */
class AdminIT extends SharedClusterTest {
  private static final String TOKEN = "it-admin-token-0123456789abcdef";
  private static final int N1 = 0;
  private static final int N3 = 2;

  @Override
  ProcessCluster createCluster(Path dir) throws IOException {
    Path token = dir.resolve("admin-token");
    Files.writeString(token, TOKEN + "\n");
    // Leaders and replicas are moved by hand here, so automatic balancing and the placement
    // controller are off, as an operator who places them would set it (docs/configuration.md):
    // the controller would add a removed replica straight back.
    return new ProcessCluster(dir, "security.admin-token-file = \"" + token + "\"\n"
        + "raft.leader-balance-interval = 0s\nplacement.check-interval = 0s");
  }

  private AdminGrpc.AdminBlockingStub admin(int node) {
    return AdminGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private AdminGrpc.AdminBlockingStub admin(int node, String token) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return admin(node).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private ShardStatus shard(int node, int shard) {
    return admin(node).clusterStatus(ClusterStatusRequest.getDefaultInstance()).getShards(shard);
  }

  @Test
  void clusterStatusReportsNodesShardsAndColdStart() {
    for (String key : Keys.inShard(0, 3, "status-")) {
      put(N1, key, "v");
    }
    // A follower learns an entry is committed with the leader's next message: wait for that
    // (index 0 is a real entry, the first leader's configuration).
    AtomicReference<ClusterStatusResponse> last = new AtomicReference<>();
    try {
      Await.until(Duration.ofSeconds(30), "every node SERVING and every shard applied in n1's view", () -> {
        ClusterStatusResponse r = admin(N1).clusterStatus(ClusterStatusRequest.getDefaultInstance());
        last.set(r);
        return r.getNodesList().stream().allMatch(n -> n.getHealth().equals("SERVING"))
            && r.getShardsList().stream().allMatch(s -> s.getAppliedIndex() >= 0);
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; last status: " + last.get(), e);
    }

    ClusterStatusResponse status = admin(N1).clusterStatus(ClusterStatusRequest.getDefaultInstance());
    assertThat(status.getAnsweredBy()).isEqualTo("n1");
    assertThat(status.getNodesList()).extracting(NodeStatus::getNodeId).containsExactly("n1", "n2", "n3");
    assertThat(status.getNodesList()).filteredOn(NodeStatus::getSelf).extracting(NodeStatus::getNodeId)
        .containsExactly("n1");
    assertThat(status.getShardsList()).hasSize(ProcessCluster.SHARDS);
    for (ShardStatus s : status.getShardsList()) {
      assertThat(s.getHosted()).isTrue();
      assertThat(s.getLeader()).isIn("n1", "n2", "n3");
      assertThat(s.getTerm()).isPositive();
      assertThat(s.getReplicasList()).containsExactly("n1", "n2", "n3");
      // Ratis numbers log entries from 0 (the first leader's configuration entry): -1 is "none".
      assertThat(s.getAppliedIndex()).isNotNegative();
      assertThat(s.getDurableAppliedIndex()).isNotNegative().isLessThanOrEqualTo(s.getAppliedIndex());
      // A fresh node has no store yet: the gate builds an empty one.
      assertThat(s.getColdStart().getOutcome()).isEqualTo("restored");
      assertThat(s.getColdStart().getReason()).isEqualTo("no_store");
      assertThat(s.getColdStart().getDurableIndex()).isEqualTo(-1);
    }
    assertThat(status.getMinAppliedIndex()).isNotNegative();
  }

  @Test
  void callsThatChangeTheClusterNeedTheAdminToken() {
    TakeSnapshotRequest all = TakeSnapshotRequest.newBuilder().setAll(true).build();
    assertThatThrownBy(() -> admin(N1).takeSnapshot(all))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThatThrownBy(() -> admin(N1, "not-the-token-at-all-000000").takeSnapshot(all))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    assertThatThrownBy(() -> admin(N1).transferLeader(TransferLeaderRequest.newBuilder()
        .setShard(0).setToNode("n2").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));

    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      String key = Keys.inShard(s, 1, "snap-").get(0);
      put(N1, key, "v");
      // A snapshot copies what this node has applied: wait until its replica has the write.
      Await.until(Duration.ofSeconds(30), "n1 applied " + key, () -> get(N1, key, true).isPresent());
    }
    TakeSnapshotResponse taken = admin(N1, TOKEN).takeSnapshot(all);
    assertThat(taken.getSnapshotsList()).hasSize(ProcessCluster.SHARDS);
    for (var snapshot : taken.getSnapshotsList()) {
      assertThat(snapshot.getIndex()).isPositive();
      assertThat(shard(N1, snapshot.getShard()).getSnapshotIndex()).isGreaterThanOrEqualTo(snapshot.getIndex());
    }
    assertThatThrownBy(() -> admin(N1, TOKEN).takeSnapshot(TakeSnapshotRequest.newBuilder().setShard(99).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void transferLeaderMovesTheShardsLeadership() {
    String leader = shard(N1, 0).getLeader();
    String target = List.of("n1", "n2", "n3").stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();

    assertThat(admin(N1, TOKEN).transferLeader(TransferLeaderRequest.newBuilder()
        .setShard(0).setToNode(target).build()).getLeader()).isEqualTo(target);

    Await.until(Duration.ofSeconds(20), "n1 sees " + target + " lead shard 0",
        () -> shard(N1, 0).getLeader().equals(target));
    put(N1, Keys.inShard(0, 1, "after-transfer-").get(0), "v");
    assertThatThrownBy(() -> admin(N1, TOKEN).transferLeader(TransferLeaderRequest.newBuilder()
        .setShard(0).setToNode("n9").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void aRemovedReplicaStaysRemovedAcrossARestartAndCatchesUpWhenAddedBack() throws Exception {
    int shard = 1;
    List<String> before = Keys.inShard(shard, 20, "member-");
    before.forEach(k -> put(N1, k, "v1"));

    assertThat(admin(N1, TOKEN).removeReplica(RemoveReplicaRequest.newBuilder()
        .setShard(shard).setNodeId("n3").build()).getReplicasList()).containsExactly("n1", "n2");
    Await.until(Duration.ofSeconds(20), "n3 no longer hosts shard " + shard, () -> !shard(N3, shard).getHosted());
    assertThat(shard(N1, shard).getReplicasList()).containsExactly("n1", "n2");
    assertThat(Files.exists(cluster.dataDir(N3).resolve("shards").resolve(shard + ".removed"))).isTrue();
    assertThat(Files.exists(cluster.dataDir(N3).resolve("shards").resolve(Integer.toString(shard)))).isFalse();

    // n3 still serves the shard's keys, through the group.
    List<String> during = Keys.inShard(shard, 20, "during-");
    during.forEach(k -> put(N3, k, "v2"));
    assertThat(get(N3, during.get(0), true)).contains("v2");

    // A crash and restart do not bring the removed replica back, and the node becomes ready.
    cluster.kill9(N3);
    cluster.start(N3);
    cluster.awaitServing(N3);
    assertThat(shard(N3, shard).getHosted()).isFalse();

    assertThat(admin(N3, TOKEN).addReplica(AddReplicaRequest.newBuilder()
        .setShard(shard).setNodeId("n3").build()).getReplicasList()).containsExactly("n1", "n2", "n3");
    Await.until(Duration.ofSeconds(60), "n3's new replica of shard " + shard + " caught up", () -> {
      ShardStatus s = shard(N3, shard);
      return s.getHosted() && s.getReplicasList().size() == 3
          && get(N3, during.get(during.size() - 1), true).isPresent();
    });
    for (String k : before) {
      assertThat(get(N3, k, true)).as(k).contains("v1");
    }
    for (String k : during) {
      assertThat(get(N3, k, true)).as(k).contains("v2");
    }
    assertThatThrownBy(() -> admin(N1, TOKEN).removeReplica(RemoveReplicaRequest.newBuilder()
        .setShard(shard).setNodeId("n7").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }
}
