package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.KeyValue;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ScanRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Three separate node processes: every call works through every node. The tests share one
 * cluster and use their own keys.
 */
class ReplicationIT extends SharedClusterTest {
  @Override
  ProcessCluster createCluster(Path dir) throws IOException {
    return new ProcessCluster(dir, "");
  }

  @Test
  void writesThroughOneNodeAreReadThroughTheOthers() throws Exception {

    for (int i = 0; i < 40; i++) {
      put(0, "key-" + i, "value-" + i);
    }
    for (int node = 1; node < 3; node++) {
      for (int i = 0; i < 40; i++) {
        assertThat(get(node, "key-" + i, false)).contains("value-" + i);
      }
    }
    for (int node = 0; node < 3; node++) {
      int n = node;
      Await.until(Duration.ofSeconds(20), "stale reads on n" + (n + 1), () -> {
        for (int i = 0; i < 40; i++) {
          if (!get(n, "key-" + i, true).equals(Optional.of("value-" + i))) {
            return false;
          }
        }
        return true;
      });
    }

    // Scan: global byte order across the 4 shards, paged.
    List<String> keys = new ArrayList<>();
    String start = "key-";
    while (true) {
      var page = cluster.kv(2).scan(ScanRequest.newBuilder().setStart(bytes(start)).setEnd(bytes("key."))
          .setLimit(7).build());
      page.getKvsList().stream().map(KeyValue::getKey).map(b -> b.toStringUtf8()).forEach(keys::add);
      if (page.getNextStart().isEmpty()) {
        break;
      }
      start = page.getNextStart().toStringUtf8();
    }
    assertThat(keys).hasSize(40).isSorted();

    // CAS and delete-prefix through different nodes.
    var cas = cluster.kv(1).compareAndSet(CompareAndSetRequest.newBuilder().setKey(bytes("key-1"))
        .setExpected(bytes("value-1")).setValue(bytes("swapped")).build());
    assertThat(cas.getSucceeded()).isTrue();
    assertThat(get(2, "key-1", false)).contains("swapped");
    var deleted = cluster.kv(2).deletePrefix(DeletePrefixRequest.newBuilder().setPrefix(bytes("key-1")).build());
    assertThat(deleted.getDeleted()).isEqualTo(11); // key-1, key-10..key-19
    assertThat(get(0, "key-15", false)).isEmpty();
  }

  @Test
  void batchesAreAtomicWithinAShardAndRefusedAcrossShards() throws Exception {
    List<String> sameShard = Keys.inShard(0, 3, "b");
    BatchRequest.Builder ok = BatchRequest.newBuilder();
    sameShard.forEach(k -> ok.addMutations(Mutation.newBuilder()
        .setPut(Mutation.Put.newBuilder().setKey(bytes(k)).setValue(bytes("v")))));
    cluster.kv(1).batch(ok.build());
    for (String k : sameShard) {
      assertThat(get(2, k, false)).contains("v");
    }

    String other = Keys.inShard(1, 1, "c").get(0);
    BatchRequest cross = BatchRequest.newBuilder()
        .addMutations(Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(bytes(sameShard.get(0))).setValue(bytes("x"))))
        .addMutations(Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(bytes(other)).setValue(bytes("x"))))
        .build();
    assertThatThrownBy(() -> cluster.kv(0).batch(cross))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).contains("[0, 1]");
        });
    assertThat(get(0, sameShard.get(0), false)).contains("v"); // nothing of the refused batch applied
    assertThat(get(0, other, false)).isEmpty();

    assertThatThrownBy(() -> cluster.kv(0).put(PutRequest.newBuilder().setValue(bytes("x")).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }
}
