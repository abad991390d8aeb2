package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.shardkv.api.v1.AddNodeRequest;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.DrainNodeRequest;
import io.shardkv.api.v1.DrainNodeResponse;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.NodeStatus;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.RemoveNodeRequest;
import io.shardkv.api.v1.RemoveNodeResponse;
import io.shardkv.api.v1.UndrainNodeRequest;
import io.shardkv.api.v1.ShardStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Shrinking a cluster as an operator would: four node processes, replication factor 3, a writer
 * running throughout; Admin DrainNode empties n4 (each of its replicas re-created elsewhere
 * before it is removed), UndrainNode gives it its share back, a second drain empties it again,
 * n4 is killed, and nothing acknowledged is lost. Draining further, when
 * no node is left to take a replica, and draining an unknown node are refused and change nothing;
 * so are bad AddNode/RemoveNode calls, and the drained node is then removed from the map.
 */
class DrainIT extends ClusterTest {
  private static final String TOKEN = "it-admin-token-0123456789abcdef";
  private static final int N4 = 3;

  @Test
  void drainingANodeUnderWritesMovesEveryReplicaOffAndLosesNothing() throws Exception {
    Path token = dir.resolve("admin-token");
    Files.writeString(token, TOKEN + "\n");
    cluster = new ProcessCluster(dir, 4, "replication-factor = 3\nsecurity.admin-token-file = \"" + token + "\"");
    cluster.startAll();
    assertThat(node(status(0), "n4").getReplicaShardsCount()).as("n4 holds replicas before the drain").isPositive();

    Map<String, String> acked = new ConcurrentHashMap<>();
    List<Status.Code> errors = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      Thread th = new Thread(() -> {
        for (int i = thread; !stop.get(); i += 4) {
          String key = "drain-" + i;
          try {
            cluster.kv(i % 3).withDeadlineAfter(20, TimeUnit.SECONDS)
                .put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes("v" + i)).build());
            acked.put(key, "v" + i);
          } catch (StatusRuntimeException e) {
            errors.add(e.getStatus().getCode()); // outcome unknown: not acknowledged, not checked
          }
        }
      }, "drain-writer-" + t);
      th.setDaemon(true);
      th.start();
      writers.add(th);
    }
    Await.until(Duration.ofSeconds(60), "writes acknowledged before the drain", () -> acked.size() >= 100);

    DrainNodeResponse first = admin(0).drainNode(DrainNodeRequest.newBuilder().setNodeId("n4").build());
    assertThat(first.getMovesList()).isNotEmpty()
        .allMatch(m -> m.getFromNode().equals("n4") && !m.getToNode().equals("n4"));
    assertThat(node(status(0), "n4").getReplicaShardsList()).isEmpty();

    // Undrain: only a DRAINING node, refusals change nothing; n4 then gets its share back.
    long drainingVersion = status(0).getMapVersion();
    expectRefused(() -> admin(0).undrainNode(UndrainNodeRequest.newBuilder().setNodeId("n2").build()),
        Status.Code.FAILED_PRECONDITION, "not DRAINING");
    expectRefused(() -> admin(0).undrainNode(UndrainNodeRequest.newBuilder().setNodeId("n9").build()),
        Status.Code.NOT_FOUND, "not in the cluster map");
    expectRefused(() -> admin(0).undrainNode(UndrainNodeRequest.newBuilder().build()),
        Status.Code.INVALID_ARGUMENT, "node_id");
    assertThat(status(0).getMapVersion()).as("refusals change nothing").isEqualTo(drainingVersion);
    assertThat(admin(0).undrainNode(UndrainNodeRequest.newBuilder().setNodeId("n4").build()).getMapVersion())
        .isGreaterThan(drainingVersion);
    assertThat(node(status(0), "n4").getState()).isEqualTo("ACTIVE");
    // Settled, not only within one of the mean: a move still to come would race the drain below.
    Await.until(Duration.ofSeconds(120), "n4 given its share back after the undrain",
        () -> ClusterLayout.replicasSettled(status(0), 4, 3));
    double finishedBefore = movesFinished();

    DrainNodeResponse drained = admin(0).drainNode(DrainNodeRequest.newBuilder().setNodeId("n4").build());
    assertThat(drained.getMovesList()).isNotEmpty()
        .allMatch(m -> m.getFromNode().equals("n4") && !m.getToNode().equals("n4"));
    int beforeKill = acked.size();
    cluster.kill9(N4);
    Await.until(Duration.ofSeconds(60), "writes acknowledged after n4 is gone", () -> acked.size() >= beforeKill + 100);
    stop.set(true);
    for (Thread th : writers) {
      th.join(60_000);
    }

    ClusterStatusResponse status = status(0);
    for (ShardStatus s : status.getShardsList()) {
      assertThat(s.getReplicasList()).as("shard " + s.getShard()).hasSize(3).doesNotContain("n4");
    }
    assertThat(node(status, "n4").getReplicaShardsList()).isEmpty();
    // Counted by the placement controller on the meta group's leader, as each move ends: a
    // moment after the drained replica is gone, which is when DrainNode answers.
    Await.until(Duration.ofSeconds(30), "every move of the drain counted as finished",
        () -> movesFinished() == finishedBefore + drained.getMovesCount());
    assertThat(node(status, "n4").getState()).isEqualTo("DRAINING");
    assertThat(errors).as("errors while draining (%d of %d writes)", errors.size(), acked.size() + errors.size())
        .allMatch(c -> c == Status.Code.UNAVAILABLE);
    for (int n = 0; n < 3; n++) {
      int node = n;
      ParallelChecks.forEach(acked.entrySet(), e ->
          assertThat(cluster.kv(node).withDeadlineAfter(10, TimeUnit.SECONDS)
              .get(GetRequest.newBuilder().setKey(bytes(e.getKey())).build()).getValue().toStringUtf8())
              .as(e.getKey() + " through n" + (node + 1)).isEqualTo(e.getValue()));
    }

    // Nowhere left to move n3's replicas (n4 is down): refused, nothing changed.
    assertThatThrownBy(() -> admin(0).drainNode(DrainNodeRequest.newBuilder().setNodeId("n3").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).contains("cannot drain n3", "Nothing was changed");
        });
    assertThatThrownBy(() -> admin(0).drainNode(DrainNodeRequest.newBuilder().setNodeId("n9").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThat(status(0).getShardsList()).extracting(ShardStatus::getReplicasList)
        .isEqualTo(status.getShardsList().stream().map(ShardStatus::getReplicasList).toList());

    // The map: bad calls are refused with a status naming the problem and change nothing; the
    // drained, stopped n4 can then be removed, once.
    long version = status(0).getMapVersion();
    expectRefused(() -> admin(0).addNode(AddNodeRequest.newBuilder().setNodeId("n1").setHost("127.0.0.1")
        .setRaftPort(1).setClientPort(2).build()), Status.Code.ALREADY_EXISTS, "already a member");
    expectRefused(() -> admin(0).addNode(AddNodeRequest.newBuilder().setNodeId("n7").setHost("127.0.0.1")
        .setRaftPort(0).setClientPort(2).build()), Status.Code.INVALID_ARGUMENT, "raft_port");
    expectRefused(() -> admin(0).removeNode(RemoveNodeRequest.newBuilder().setNodeId("n9").build()),
        Status.Code.NOT_FOUND, "not in the cluster map");
    expectRefused(() -> admin(0).removeNode(RemoveNodeRequest.newBuilder().setNodeId("n2").build()),
        Status.Code.FAILED_PRECONDITION, "holds the cluster map");
    assertThat(status(0).getMapVersion()).as("refusals change nothing").isEqualTo(version);
    RemoveNodeResponse removed = admin(0).removeNode(RemoveNodeRequest.newBuilder().setNodeId("n4").build());
    assertThat(removed.getMapVersion()).isEqualTo(version + 1);
    Await.until(Duration.ofSeconds(10), "n4 gone from ClusterStatus",
        () -> status(0).getNodesList().stream().noneMatch(n -> n.getNodeId().equals("n4")));
    expectRefused(() -> admin(0).removeNode(RemoveNodeRequest.newBuilder().setNodeId("n4").build()),
        Status.Code.NOT_FOUND, "n4");
    System.out.printf("DrainIT: %d moves, %d writes acknowledged, %d failed (all UNAVAILABLE)%n",
        drained.getMovesCount(), acked.size(), errors.size());
  }

  /** Moves finished, summed over the meta group's nodes (each counts those it ran as leader); -1 if one cannot be read. */
  private double movesFinished() {
    double finished = 0;
    try {
      for (int i = 0; i < 3; i++) {
        finished += cluster.metric(i, "shardkv_replica_moves_total", "result", "finished");
      }
    } catch (java.io.IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
    return finished;
  }

  private static void expectRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Status.Code code,
      String says) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(says);
    });
  }

  private AdminGrpc.AdminBlockingStub admin(int node) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
    return AdminGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(120, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private ClusterStatusResponse status(int node) {
    return admin(node).clusterStatus(ClusterStatusRequest.getDefaultInstance());
  }

  private static NodeStatus node(ClusterStatusResponse status, String id) {
    return ClusterLayout.node(status, id);
  }
}
