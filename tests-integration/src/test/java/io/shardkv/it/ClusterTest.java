package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.GetResponse;
import io.shardkv.api.v1.PutRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** Base of the multi-process tests: one cluster per test, logs printed when a test fails. */
abstract class ClusterTest {
  /** Pause between attempts of a put the cluster could not take yet (no leader, a node down). */
  private static final long RETRY_PAUSE_MS = 20;
  // Kept when a test fails, so the node logs printed below (and the data) can be inspected.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;
  ProcessCluster cluster;

  @RegisterExtension
  final TestWatcher dumpLogsOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      if (cluster != null) {
        cluster.dumpLogs();
      }
    }
  };

  @AfterEach
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static ByteString bytes(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  /** Puts through node {@code node}, retrying while the cluster elects; true once acknowledged. */
  boolean put(int node, String key, String value, Duration timeout) {
    return put(node, key, value, timeout, () -> false);
  }

  /**
   * As {@link #put(int, String, String, Duration)}, giving up (unacknowledged) as soon as {@code
   * giveUp} says so: a writer told to stop while every node is down must not retry for its whole
   * timeout. A failed attempt is retried after a short pause, not in a busy loop that takes the
   * cores the nodes need to start or elect.
   */
  boolean put(int node, String key, String value, Duration timeout, BooleanSupplier giveUp) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        cluster.kv(node).put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build());
        return true;
      } catch (StatusRuntimeException e) {
        if (!ProcessCluster.retryable(e) || System.nanoTime() > deadline || giveUp.getAsBoolean()) {
          return false;
        }
      }
      try {
        Thread.sleep(RETRY_PAUSE_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  void put(int node, String key, String value) {
    if (!put(node, key, value, Duration.ofSeconds(30))) {
      throw new AssertionError("put " + key + " through n" + (node + 1) + " was not acknowledged");
    }
  }

  Optional<String> get(int node, String key, boolean stale) {
    GetResponse r = cluster.kv(node).get(GetRequest.newBuilder().setKey(bytes(key)).setStale(stale).build());
    return r.getFound() ? Optional.of(r.getValue().toStringUtf8()) : Optional.empty();
  }

  /** Every acknowledged key reads back its value through {@code node}, linearizably. */
  void assertReadsBack(int node, Map<String, String> acked) throws InterruptedException {
    ParallelChecks.forEach(acked.entrySet(), e ->
        assertThat(get(node, e.getKey(), false)).as(e.getKey() + " through n" + (node + 1)).contains(e.getValue()));
  }

  /** {@code node}'s own replica catches up with every acknowledged write, which then reads back through it. */
  void assertNodeHoldsEveryAckedWrite(int node, Map<String, String> acked) throws InterruptedException {
    Await.until(Duration.ofSeconds(60), "n" + (node + 1) + "'s replica holds every acknowledged write", () ->
        ParallelChecks.allMatch(acked.entrySet(), e -> get(node, e.getKey(), true).equals(Optional.of(e.getValue()))));
    assertReadsBack(node, acked);
  }
}
