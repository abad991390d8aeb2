package io.shardkv.it;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.PutRequest;
import java.util.ArrayList;
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
  private final ProcessCluster cluster;
  private final Map<String, String> acked = new ConcurrentHashMap<>();
  private final List<Status.Code> errors = new CopyOnWriteArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();

  /** @param nodes picks the node each put goes through (called per put) */
  BackgroundWriter(ProcessCluster cluster, String prefix, int threadCount, IntSupplier nodes) {
    this.cluster = cluster;
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
   * Every acknowledged key reads back its value through node {@code node} (eight reads in
   * flight: the reads wait on the network, not the CPU); returns how many.
   */
  int assertNothingLost(int node) throws InterruptedException {
    java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> reads = new ArrayList<>();
      for (Map.Entry<String, String> e : acked.entrySet()) {
        reads.add(readers.submit(() -> {
          String got = cluster.kv(node).withDeadlineAfter(10, TimeUnit.SECONDS)
              .get(GetRequest.newBuilder().setKey(ClusterTest.bytes(e.getKey())).build()).getValue().toStringUtf8();
          if (!got.equals(e.getValue())) {
            throw new AssertionError(e.getKey() + " through n" + (node + 1) + ": expected " + e.getValue()
                + ", got '" + got + "'");
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> r : reads) {
        try {
          r.get();
        } catch (java.util.concurrent.ExecutionException ex) {
          throw ex.getCause() instanceof AssertionError ae ? ae : new AssertionError(ex.getCause());
        }
      }
    } finally {
      readers.shutdownNow();
    }
    return acked.size();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
