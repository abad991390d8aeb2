package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.PutRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kill -9 with writes in flight: nothing acknowledged may be lost. Writers run several threads
 * at once so that writes are coalesced into shared Raft entries and group-committed together,
 * the paths a lone sequential writer never takes.
 */
class CrashRecoveryIT extends ClusterTest {

  /**
   * Writes distinct keys through the given nodes from {@code threads} threads until stopped;
   * records what was acknowledged.
   */
  private final class Writer {
    final Map<String, String> acked = new ConcurrentHashMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger attempts = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    private final int[] nodes;
    private final String prefix;

    Writer(String prefix, int threads, int... nodes) {
      this.prefix = prefix;
      this.nodes = nodes;
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Thread th = new Thread(() -> run(thread, threads), "writer-" + prefix + t);
        th.setDaemon(true);
        this.threads.add(th);
      }
    }

    void start() {
      threads.forEach(Thread::start);
    }

    private void run(int thread, int stride) {
      for (int i = thread; !stop.get(); i += stride) {
        String key = prefix + i;
        attempts.incrementAndGet();
        if (put(nodes[i % nodes.length], key, "v" + i, Duration.ofSeconds(20), stop::get)) {
          acked.put(key, "v" + i);
        }
      }
    }

    void awaitAcked(int count) {
      int target = acked.size() + count;
      Await.until(Duration.ofSeconds(60), count + " more acknowledged writes", () -> acked.size() >= target);
    }

    void finish() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(60_000);
      }
    }
  }

  @Test
  void killOneNodeWhileWritingThenItCatchesUpWithNothingLost() throws Exception {
    cluster = new ProcessCluster(dir, "");
    cluster.startAll();
    Writer writer = new Writer("one-", 4, 1, 2);
    writer.start();
    writer.awaitAcked(50);

    cluster.kill9(0);
    writer.awaitAcked(100); // the other two nodes keep accepting writes
    cluster.start(0);
    cluster.awaitServing(0);
    writer.awaitAcked(50);
    writer.finish();

    Map<String, String> acked = writer.acked;
    assertThat(acked.size()).isGreaterThanOrEqualTo(200);
    assertNodeHoldsEveryAckedWrite(0, acked);
    ReplicaDigests.assertEveryShardMatches(cluster, 0);
  }

  /**
   * Every LMDB sync mode survives kill -9 of the whole cluster: the store may lose commits the
   * OS had not written (it never does on a process kill, only on power loss in nometasync and
   * nosync), and Ratis replays them from its fsynced log.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sync", "nometasync", "nosync"})
  void killEveryNodeWhileWritingThenRestartWithNothingLost(String syncMode) throws Exception {
    cluster = new ProcessCluster(dir, "store.sync-mode = " + syncMode);
    cluster.startAll();
    Writer writer = new Writer("all-", 8, 0, 1, 2);
    writer.start();
    writer.awaitAcked(150);

    for (int i = 0; i < 3; i++) {
      cluster.kill9(i);
    }
    writer.finish();
    for (int i = 0; i < 3; i++) {
      cluster.start(i);
    }
    for (int i = 0; i < 3; i++) {
      cluster.awaitServing(i);
    }

    for (int node = 0; node < 3; node++) {
      assertReadsBack(node, writer.acked);
    }
    ReplicaDigests.assertEveryShardMatches(cluster, 2);
  }

  /**
   * An acknowledgement means the write is on a majority's log: kill the node that leads the
   * shard at the very moment acknowledgements arrive, and every acknowledged key must still be
   * readable (linearizably, through the survivors, then through the restarted node).
   */
  @Test
  void killingTheLeaderRightAfterAcknowledgementsLosesNoAcknowledgedWrite() throws Exception {
    cluster = new ProcessCluster(dir, "");
    cluster.startAll();
    int leader = leaderOfShardZero();
    List<String> keys = Keys.inShard(0, 4000, "acked-");
    Map<String, String> acked = new ConcurrentHashMap<>();
    AtomicBoolean killed = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      Thread th = new Thread(() -> {
        for (int i = thread; i < keys.size() && !stop.get(); i += 8) {
          try {
            cluster.kv(leader).put(PutRequest.newBuilder().setKey(bytes(keys.get(i))).setValue(bytes("v" + i)).build());
          } catch (StatusRuntimeException e) {
            continue; // unknown outcome: not acknowledged, not checked
          }
          acked.put(keys.get(i), "v" + i);
          if (acked.size() >= 200 && killed.compareAndSet(false, true)) {
            try {
              cluster.kill9(leader); // right after an acknowledgement, others still in flight
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            stop.set(true);
          }
        }
      }, "acked-writer-" + t);
      th.setDaemon(true);
      th.start();
      writers.add(th);
    }
    for (Thread th : writers) {
      th.join(120_000);
    }
    assertThat(killed).isTrue();

    int survivor = (leader + 1) % 3;
    Await.until(Duration.ofSeconds(60), "a new leader serves linearizable reads", () -> {
      try {
        get(survivor, keys.get(0), false);
        return true;
      } catch (StatusRuntimeException e) {
        return false;
      }
    });
    assertReadsBack(survivor, acked);
    cluster.start(leader);
    cluster.awaitServing(leader);
    assertReadsBack(leader, acked); // the restarted former leader
  }

  private int leaderOfShardZero() {
    AtomicInteger leader = new AtomicInteger(-1);
    Await.until(Duration.ofSeconds(60), "shard 0 has a leader", () -> {
      try {
        String id = AdminGrpc.newBlockingStub(cluster.channel(0)).withDeadlineAfter(5, TimeUnit.SECONDS)
            .clusterStatus(ClusterStatusRequest.getDefaultInstance()).getShards(0).getLeader();
        if (id.matches("n[123]")) {
          leader.set(Integer.parseInt(id.substring(1)) - 1);
          return true;
        }
      } catch (StatusRuntimeException e) {
        // not ready yet
      }
      return false;
    });
    return leader.get();
  }
}
