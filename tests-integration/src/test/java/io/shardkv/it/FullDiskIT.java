package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ShardStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A disk that fills up: n3's LMDB stores live on a small size-limited tmpfs. Filling it must
 * stop only n3's applying (DESIGN invariant 8: never skip an entry) with a log line, a metric and
 * a ClusterStatus state, while the shard keeps serving from n1 and n2; once space is freed and
 * n3 restarted, it catches up from its Raft log and nothing acknowledged is lost. Mounting needs
 * root (CI runs as root); elsewhere the test is skipped with a message saying so.
 */
class FullDiskIT extends ClusterTest {
  private static final int FULL_NODE = 2;
  private static final int VALUE_BYTES = 64 * 1024;
  private Path mounted;

  @AfterEach
  void unmount() throws Exception {
    if (cluster != null) {
      cluster.close(); // the node must let go of the files before the unmount
    }
    if (mounted != null) {
      run("umount", "-l", mounted.toString());
    }
  }

  @Test
  void aFullDiskStopsOnlyThatReplicasApplyingAndItCatchesUpAfterSpaceIsFreed() throws Exception {
    cluster = new ProcessCluster(dir, "");
    Path shards = Files.createDirectories(cluster.dataDir(FULL_NODE).resolve("shards"));
    int rc = run("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", shards.toString());
    Assumptions.assumeTrue(rc == 0, "FullDiskIT needs to mount a tmpfs (run as root, as CI does); mount exited " + rc);
    mounted = shards;
    cluster.startAll();

    // Fill n3's disk with 64 KiB values to shard 0, written through n1 by four clients.
    List<String> keys = Keys.inShard(0, 600, "full");
    Map<String, ByteString> acked = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int first = t;
      Thread w = new Thread(() -> {
        for (int i = first; i < keys.size() && !stop.get(); i += 4) {
          ByteString value = value(i);
          try {
            cluster.kv(0).withDeadlineAfter(20, TimeUnit.SECONDS)
                .put(PutRequest.newBuilder().setKey(bytes(keys.get(i))).setValue(value).build());
            acked.put(keys.get(i), value);
          } catch (StatusRuntimeException e) {
            // not acknowledged: not checked
          }
        }
      }, "full-disk-writer-" + t);
      w.start();
      writers.add(w);
    }
    Await.until(Duration.ofSeconds(90), "n3's replica of shard 0 to stop on the full disk", () ->
        PrometheusText.sum(scrape(FULL_NODE), "shardkv_apply_failures_total", "shard", "0") >= 1);
    int ackedWhenFull = acked.size();
    // The group keeps serving from the other two.
    Await.until(Duration.ofSeconds(60), "writes acknowledged after n3 stopped applying",
        () -> acked.size() >= ackedWhenFull + 20);
    stop.set(true);
    for (Thread w : writers) {
      w.join(TimeUnit.SECONDS.toMillis(30));
    }

    ShardStatus onFull = AdminGrpc.newBlockingStub(cluster.channel(FULL_NODE)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance()).getShards(0);
    assertThat(onFull.getReadiness().getPhase()).isEqualTo("failed");
    // LMDB reports the short write of a page as EIO (or ENOSPC), inside the StoreException.
    assertThat(onFull.getReadiness().getDetail()).contains("StoreException").contains("shards/0");
    assertThat(cluster.log(FULL_NODE, true)).contains("this replica stops applying (never skips an entry)");
    assertThat(cluster.log(0, true)).doesNotContain("this replica stops applying");

    // Free space, restart n3: it replays what it could not apply from its log, nothing lost.
    assertThat(run("mount", "-o", "remount,size=512m", shards.toString())).isZero();
    cluster.kill9(FULL_NODE);
    cluster.start(FULL_NODE);
    cluster.awaitServing(FULL_NODE);
    Await.until(Duration.ofSeconds(60), "n3's own replica holds every acknowledged write", () ->
        acked.entrySet().stream().allMatch(e -> staleValue(FULL_NODE, e.getKey()).equals(e.getValue())));
    ReplicaDigests.assertEveryShardMatches(cluster, FULL_NODE);
  }

  private static ByteString value(int i) {
    byte[] b = new byte[VALUE_BYTES];
    java.util.Arrays.fill(b, (byte) ('a' + i % 26));
    b[0] = (byte) i;
    b[1] = (byte) (i >> 8);
    return ByteString.copyFrom(b);
  }

  private ByteString staleValue(int node, String key) {
    return cluster.kv(node).get(io.shardkv.api.v1.GetRequest.newBuilder().setKey(bytes(key)).setStale(true).build())
        .getValue();
  }

  private String scrape(int node) {
    try {
      return cluster.scrape(node);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().transferTo(System.out);
    return p.waitFor();
  }
}
