package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.DeleteRequest;
import io.shardkv.api.v1.KeyValue;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ScanRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * A seeded random sequence of every write operation, sent to random nodes of a 3-process
 * cluster and mirrored in a sorted map; full scans of every node are compared with the map.
 * Override the seed with -Dshardkv.seed=N to replay a failure.
 */
class RandomizedModelIT extends ClusterTest {
  private static final int OPS = 1200;
  private final TreeMap<ByteString, ByteString> model = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
  private final List<ByteString> keySpace = new ArrayList<>();

  private static int shardOf(ByteString key) {
    CRC32C crc = new CRC32C();
    crc.update(key.toByteArray());
    return (int) (crc.getValue() % ProcessCluster.SHARDS);
  }

  @Test
  void randomOperationsThroughRandomNodesMatchASortedMap() throws Exception {
    long seed = Long.getLong("shardkv.seed", System.nanoTime());
    System.out.println("RandomizedModelIT seed = " + seed + " (replay with -Dshardkv.seed=" + seed + ")");
    Random random = new Random(seed);
    for (int i = 0; i < 150; i++) {
      byte[] k = ("k" + (i % 10) + "/" + i).getBytes();
      if (i % 7 == 0) {
        k = new byte[] {(byte) 0xFF, (byte) i, 0x00};
      } else if (i % 11 == 0) {
        k = new byte[] {0x00, (byte) i};
      }
      keySpace.add(ByteString.copyFrom(k));
    }
    cluster = new ProcessCluster(dir, "");
    cluster.startAll();

    for (int op = 1; op <= OPS; op++) {
      int node = random.nextInt(3);
      ByteString key = keySpace.get(random.nextInt(keySpace.size()));
      ByteString value = ByteString.copyFromUtf8("v" + op);
      switch (random.nextInt(10)) {
        case 0, 1, 2, 3 -> {
          cluster.kv(node).put(PutRequest.newBuilder().setKey(key).setValue(value).build());
          model.put(key, value);
        }
        case 4, 5 -> {
          boolean existed = cluster.kv(node).delete(DeleteRequest.newBuilder().setKey(key).build()).getExisted();
          assertThat(existed).as("op %d delete existed", op).isEqualTo(model.remove(key) != null);
        }
        case 6 -> batch(random, node, key, op);
        case 7, 8 -> compareAndSet(random, node, key, value, op);
        default -> {
          if (random.nextInt(4) == 0) { // prefix deletes are rarer: they empty the map quickly
            ByteString prefix = key.substring(0, Math.min(key.size(), 2 + random.nextInt(2)));
            long deleted = cluster.kv(node).deletePrefix(DeletePrefixRequest.newBuilder().setPrefix(prefix).build())
                .getDeleted();
            long expected = model.keySet().stream().filter(k -> k.startsWith(prefix)).count();
            model.keySet().removeIf(k -> k.startsWith(prefix));
            assertThat(deleted).as("op %d delete-prefix count", op).isEqualTo(expected);
          }
        }
      }
      if (op % 100 == 0) {
        for (int n = 0; n < 3; n++) {
          assertThat(fullScan(n, false)).as("linearizable scan of n%d after op %d", n + 1, op).isEqualTo(model);
        }
      }
    }
    for (int n = 0; n < 3; n++) {
      int node = n;
      Await.until(Duration.ofSeconds(30), "stale scan of n" + (n + 1) + " to equal the model",
          () -> fullScan(node, true).equals(model));
    }
    ReplicaDigests.assertEveryShardMatches(cluster, 1);
  }

  private void batch(Random random, int node, ByteString first, int op) {
    int shard = shardOf(first);
    List<ByteString> keys = new ArrayList<>(List.of(first));
    for (ByteString k : keySpace) {
      if (keys.size() < 2 + random.nextInt(3) && shardOf(k) == shard && !k.equals(first)) {
        keys.add(k);
      }
    }
    BatchRequest.Builder b = BatchRequest.newBuilder();
    Map<ByteString, ByteString> after = new LinkedHashMap<>();
    List<Boolean> expectedExisted = new ArrayList<>();
    TreeMap<ByteString, ByteString> view = new TreeMap<>(model);
    for (ByteString k : keys) {
      if (random.nextBoolean()) {
        ByteString v = ByteString.copyFromUtf8("b" + op);
        b.addMutations(Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(k).setValue(v)));
        view.put(k, v);
        expectedExisted.add(false);
      } else {
        b.addMutations(Mutation.newBuilder().setDelete(Mutation.Delete.newBuilder().setKey(k)));
        expectedExisted.add(view.remove(k) != null);
      }
    }
    var response = cluster.kv(node).batch(b.build());
    assertThat(response.getExistedList()).as("op %d batch existed", op).isEqualTo(expectedExisted);
    model.clear();
    model.putAll(view);
  }

  private void compareAndSet(Random random, int node, ByteString key, ByteString value, int op) {
    ByteString current = model.get(key);
    CompareAndSetRequest.Builder cas = CompareAndSetRequest.newBuilder().setKey(key).setValue(value);
    boolean expectSuccess;
    if (random.nextBoolean()) {
      cas.setExpectAbsent(true);
      expectSuccess = current == null;
    } else {
      ByteString expected = current != null && random.nextBoolean() ? current : ByteString.copyFromUtf8("nope");
      cas.setExpected(expected);
      expectSuccess = current != null && current.equals(expected);
    }
    var r = cluster.kv(node).compareAndSet(cas.build());
    assertThat(r.getSucceeded()).as("op %d cas succeeded", op).isEqualTo(expectSuccess);
    if (expectSuccess) {
      model.put(key, value);
    }
    assertThat(r.getCurrentFound()).as("op %d cas current_found", op).isEqualTo(model.containsKey(key));
    if (model.containsKey(key)) {
      assertThat(r.getCurrent()).as("op %d cas current", op).isEqualTo(model.get(key));
    }
  }

  private TreeMap<ByteString, ByteString> fullScan(int node, boolean stale) {
    TreeMap<ByteString, ByteString> seen = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
    ByteString start = ByteString.EMPTY;
    List<ByteString> order = new ArrayList<>();
    while (true) {
      var page = cluster.kv(node).scan(ScanRequest.newBuilder().setStart(start).setLimit(13).setStale(stale).build());
      for (KeyValue kv : page.getKvsList()) {
        seen.put(kv.getKey(), kv.getValue());
        order.add(kv.getKey());
      }
      if (page.getNextStart().isEmpty()) {
        break;
      }
      start = page.getNextStart();
    }
    assertThat(order).as("scan order").isSortedAccordingTo(ByteString.unsignedLexicographicalComparator())
        .doesNotHaveDuplicates();
    return seen;
  }
}
