package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** kill -9 with writes in flight: nothing acknowledged may be lost. */
class CrashRecoveryIT extends ClusterTest {

  /** Writes distinct keys through the given nodes until stopped; records what was acknowledged. */
  private final class Writer extends Thread {
    final Map<String, String> acked = new ConcurrentHashMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger attempts = new AtomicInteger();
    private final int[] nodes;
    private final String prefix;

    Writer(String prefix, int... nodes) {
      this.prefix = prefix;
      this.nodes = nodes;
      setDaemon(true);
    }

    @Override
    public void run() {
      for (int i = 0; !stop.get(); i++) {
        String key = prefix + i;
        attempts.incrementAndGet();
        if (put(nodes[i % nodes.length], key, "v" + i, Duration.ofSeconds(20))) {
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
      join(60_000);
    }
  }

  @Test
  void killOneNodeWhileWritingThenItCatchesUpWithNothingLost() throws Exception {
    cluster = new ProcessCluster(dir, "");
    cluster.startAll();
    Writer writer = new Writer("one-", 1, 2);
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
    Await.until(Duration.ofSeconds(60), "the restarted node's replica holds every acknowledged write", () ->
        acked.entrySet().stream().allMatch(e -> get(0, e.getKey(), true).equals(Optional.of(e.getValue()))));
    for (var e : acked.entrySet()) {
      assertThat(get(0, e.getKey(), false)).as(e.getKey()).contains(e.getValue());
    }
  }

  @Test
  void killEveryNodeWhileWritingThenRestartWithNothingLost() throws Exception {
    cluster = new ProcessCluster(dir, "");
    cluster.startAll();
    Writer writer = new Writer("all-", 0, 1, 2);
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

    for (var e : writer.acked.entrySet()) {
      for (int node = 0; node < 3; node++) {
        assertThat(get(node, e.getKey(), false)).as(e.getKey() + " through n" + (node + 1)).contains(e.getValue());
      }
    }
  }
}
