package io.shardkv.it;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ScanRequest;
import io.shardkv.api.v1.ScanResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

/**
 * Writers that put distinct keys through the given nodes until stopped, remembering every
 * acknowledged write and every failure's status (a failed write's outcome is unknown: it is
 * not checked). {@link #assertNothingLost} reads every acknowledged key back.
 */
final class BackgroundWriter implements AutoCloseable {
  /** Pairs per Scan page: small enough that a check reads several pages. */
  private static final int SCAN_PAGE = 1000;
  private static final int SAMPLED_GETS = 200;
  private final ProcessCluster cluster;
  private final String prefix;
  private final Map<String, String> acked = new ConcurrentHashMap<>();
  private final List<Status.Code> errors = new CopyOnWriteArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();

  /** @param nodes picks the node each put goes through (called per put) */
  BackgroundWriter(ProcessCluster cluster, String prefix, int threadCount, IntSupplier nodes) {
    this.cluster = cluster;
    this.prefix = prefix;
    for (int t = 0; t < threadCount; t++) {
      int thread = t;
      Thread th = new Thread(() -> {
        for (int i = thread; !stop.get(); i += threadCount) {
          String key = prefix + "-" + i;
          try {
            cluster.kv(nodes.getAsInt()).withDeadlineAfter(20, TimeUnit.SECONDS)
                .put(PutRequest.newBuilder().setKey(ClusterTest.bytes(key)).setValue(ClusterTest.bytes("v" + i)).build());
            acked.put(key, "v" + i);
          } catch (StatusRuntimeException e) {
            errors.add(e.getStatus().getCode());
          }
        }
      }, prefix + "-writer-" + t);
      th.setDaemon(true);
      th.start();
      threads.add(th);
    }
  }

  int acknowledged() {
    return acked.size();
  }

  List<Status.Code> errors() {
    return List.copyOf(errors);
  }

  /** Stops the writers and waits for them. */
  void stop() throws InterruptedException {
    stop.set(true);
    for (Thread th : threads) {
      th.join(60_000);
    }
  }

  /**
   * Every acknowledged key reads back its value through node {@code node}: all of them with a
   * paged linearizable Scan of the writer's keys (which reads every shard through that node), and
   * a sample of {@value #SAMPLED_GETS} with single-key linearizable Gets. Returns how many keys
   * were checked. (A Get per key took most of a minute per check at a few thousand keys x 5
   * nodes on 2 cores.)
   */
  int assertNothingLost(int node) throws InterruptedException {
    Map<String, String> seen = new HashMap<>();
    ByteString start = ClusterTest.bytes(prefix + "-");
    ByteString end = ClusterTest.bytes(prefix + "."); // '.' follows '-': exactly this writer's keys
    do {
      ScanResponse page = cluster.kv(node).withDeadlineAfter(30, TimeUnit.SECONDS)
          .scan(ScanRequest.newBuilder().setStart(start).setEnd(end).setLimit(SCAN_PAGE).build());
      page.getKvsList().forEach(kv -> seen.put(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8()));
      start = page.getNextStart();
    } while (!start.isEmpty());
    Map<String, String> expected = Map.copyOf(acked);
    for (Map.Entry<String, String> e : expected.entrySet()) {
      if (!e.getValue().equals(seen.get(e.getKey()))) {
        throw new AssertionError(e.getKey() + " scanned through n" + (node + 1) + ": expected " + e.getValue()
            + ", got " + (seen.containsKey(e.getKey()) ? "'" + seen.get(e.getKey()) + "'" : "nothing")
            + " (" + seen.size() + " keys scanned, " + expected.size() + " acknowledged)");
      }
    }
    List<Map.Entry<String, String>> sample = new ArrayList<>(expected.entrySet());
    java.util.Collections.shuffle(sample);
    ParallelChecks.forEach(sample.subList(0, Math.min(SAMPLED_GETS, sample.size())), e -> {
      String got = cluster.kv(node).withDeadlineAfter(10, TimeUnit.SECONDS)
          .get(GetRequest.newBuilder().setKey(ClusterTest.bytes(e.getKey())).build()).getValue().toStringUtf8();
      if (!got.equals(e.getValue())) {
        throw new AssertionError(e.getKey() + " through n" + (node + 1) + ": expected " + e.getValue()
            + ", got '" + got + "'");
      }
    });
    return expected.size();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
