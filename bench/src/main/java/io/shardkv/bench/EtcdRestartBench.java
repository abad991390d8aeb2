package io.shardkv.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The restart benchmark's etcd side: one member (like the one shardkv node) holding the same
 * amount of data, restarted after SIGTERM and after SIGKILL during writes, timed from spawn
 * to the first successful linearizable read. etcd has no separate store to restore from a
 * snapshot, so it has no "restore" mode.
 */
final class EtcdRestartBench implements AutoCloseable {
  static final List<String> MODES = List.of("sigterm", "sigkill-writes");
  private static final int IN_FLIGHT = 128;
  private static final ByteSequence PROBE = ByteSequence.from("probe", StandardCharsets.US_ASCII);
  private final RestartConfig config;
  private final PrintStream log;
  private final EtcdCluster cluster;
  private long nextKey;
  private long loadedBytes;

  EtcdRestartBench(RestartConfig config, String binary, PrintStream log) throws IOException {
    this.config = config;
    this.log = log;
    this.cluster = new EtcdCluster(config.dir().resolve("etcd"), binary, 1);
  }

  void start() throws Exception {
    cluster.startAll(ClusterSet.START_TIMEOUT);
    try (Client c = client()) {
      c.getKVClient().put(PROBE, ByteSequence.from("x", StandardCharsets.US_ASCII)).get(30, TimeUnit.SECONDS);
    }
  }

  private Client client() {
    return Client.builder().endpoints(cluster.endpoints().toArray(String[]::new))
        .retryDelay(10).retryMaxDelay(20).retryMaxDuration(Duration.ofSeconds(2)).build();
  }

  List<RestartRow> measure(double sizeGb) throws Exception {
    long t0 = System.nanoTime();
    load((long) (sizeGb * (1L << 30)));
    log.printf("etcd: loaded %d MiB in total (%.1f s for this step)%n", loadedBytes >> 20, (System.nanoTime() - t0) / 1e9);
    long disk = DiskUsage.mib(cluster.dataDir(0));
    List<RestartRow> rows = new ArrayList<>();
    for (String mode : MODES) {
      for (int run = 1; run <= config.runs(); run++) {
        RestartRow row = restartOnce(mode, sizeGb, disk, run);
        log.printf("etcd %s %.3f GB run %d: %.3f s%n", mode, sizeGb, run, row.seconds());
        rows.add(row);
      }
    }
    return rows;
  }

  /** Asynchronous puts with a bounded number in flight: etcd's own batching does the rest. */
  private void load(long targetBytes) throws Exception {
    ByteSequence value = ByteSequence.from(LoadGenerator.value(config.valueBytes(), 7));
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (Client c = client()) {
      KV kv = c.getKVClient();
      while (loadedBytes < targetBytes && failure.get() == null) {
        inFlight.acquire();
        ByteSequence key = ByteSequence.from(String.format("load/%012d", nextKey++), StandardCharsets.US_ASCII);
        kv.put(key, value).whenComplete((r, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
          inFlight.release();
        });
        loadedBytes += config.valueBytes();
      }
      inFlight.acquire(IN_FLIGHT);
    }
    if (failure.get() != null) {
      throw new IllegalStateException("loading etcd failed", failure.get());
    }
  }

  private RestartRow restartOnce(String mode, double sizeGb, long diskMib, int run) throws Exception {
    if (mode.equals("sigkill-writes")) {
      try (EtcdTarget writes = new EtcdTarget(cluster.endpoints(), 1);
          BackgroundWriter writer = new BackgroundWriter(writes.client(0), "w/" + mode + "/" + run + "/")) {
        writer.awaitAcknowledged(20);
        cluster.kill(0);
      }
    } else {
      cluster.stop(0);
    }
    // The client exists before the spawn so its set-up is not timed.
    try (Client c = client()) {
      long t0 = cluster.start(0);
      double seconds = firstLinearizableRead(c.getKVClient(), t0);
      return new RestartRow("etcd", mode, sizeGb, loadedBytes >> 20, diskMib, run, seconds, "");
    }
  }

  private double firstLinearizableRead(KV kv, long t0) {
    long[] done = {0};
    Await.until(Duration.ofSeconds(300), "etcd first linearizable read", () -> {
      cluster.checkAlive(0);
      CompletableFuture<io.etcd.jetcd.kv.GetResponse> f = kv.get(PROBE);
      try {
        if (f.get(2, TimeUnit.SECONDS).getCount() > 0) {
          done[0] = System.nanoTime();
          return true;
        }
        throw new IllegalStateException("etcd lost the probe key");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        f.cancel(true);
        return false;
      }
    });
    return (done[0] - t0) / 1e9;
  }

  @Override
  public void close() {
    cluster.close();
  }
}
