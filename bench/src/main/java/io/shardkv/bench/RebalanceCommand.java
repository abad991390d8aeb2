package io.shardkv.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.ShardStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code shardkv-bench rebalance}: issue 11's measurement. Three nodes with replication factor 3
 * are loaded with {@code --data} bytes, then two nodes join; it reports how long the placement
 * controller takes to balance the five, the snapshot bytes the moves sent, and the write
 * latency of a steady probe load before, during and after the moves.
 */
final class RebalanceCommand {
  private static final int NODES = 5;
  private static final int SEEDS = 3;
  /** The loaded keys start here, so the probe load (keys 0..keys-1) never overwrites them. */
  private static final long LOAD_KEY_OFFSET = 100_000_000L;

  private RebalanceCommand() {}

  static void run(Args a, PrintStream out) throws Exception {
    long dataBytes = a.longValue("data-mib", 1024) << 20;
    int valueBytes = a.integer("value-bytes", 4096);
    int shards = a.integer("shards", 8);
    int moves = a.integer("max-concurrent-moves", 2);
    int clients = a.integer("clients", 8);
    Duration window = a.duration("window", "10s");
    String heap = a.string("heap", "768m");
    String dirName = a.string("dir", "");
    a.rejectUnknown();
    long keys = dataBytes / valueBytes;
    out.printf("rebalance: %d nodes (3 seeds + 2 joining), replication factor 3, %d shards, %d MiB as %d x %d B values,"
        + " max-concurrent-moves %d, probe: %d clients putting 1 KiB values in %d s windows, heap %s; %d cores,"
        + " load average %s%n", NODES, shards, dataBytes >> 20, keys, valueBytes, moves, clients,
        window.toSeconds(), heap, Runtime.getRuntime().availableProcessors(), LoadAverage.now());
    String extra = "replication-factor = 3\n  raft.leader-balance-interval = 1s\n"
        + "  placement { check-interval = 1s, max-concurrent-moves = " + moves + " }";
    try (WorkDir work = WorkDir.of(dirName, "shardkv-rebalance-");
        ShardkvCluster cluster = new ShardkvCluster(work.path().resolve("shardkv"), NODES, SEEDS, shards, heap,
            extra)) {
      for (int i = 0; i < SEEDS; i++) {
        cluster.start(i);
      }
      for (int i = 0; i < SEEDS; i++) {
        cluster.awaitServing(i, ClusterSet.START_TIMEOUT);
      }
      long loadStart = System.nanoTime();
      load(cluster, shards, keys, valueBytes);
      double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
      out.printf("loaded %d MiB in %.1f s (%.1f MiB/s); LMDB per node before: %s (load average %s)%n",
          dataBytes >> 20, loadSeconds, (dataBytes >> 20) / loadSeconds, storeMib(cluster), LoadAverage.now());

      Workload probe = new Workload(Workload.Kind.PUT, 100, false, 1024, 10_000, clients, Math.min(4, clients),
          window, 0, 100);
      LoadGenerator generator = new LoadGenerator(false, out);
      try (ShardkvTarget target = new ShardkvTarget(cluster.addresses().subList(0, SEEDS), probe.channels())) {
        LoadResult before = generator.run(target, probe);
        print(out, "before", before);

        double bytesBefore = summed(cluster, "shardkv_snapshot_received_bytes_total");
        long t0 = System.nanoTime();
        cluster.start(3);
        cluster.start(4);
        List<LoadResult> during = new ArrayList<>();
        ManagedChannel admin = NettyChannelBuilder.forTarget(cluster.addresses().get(0)).usePlaintext().build();
        try {
          while (!balanced(admin, shards)) {
            LoadResult r = generator.run(target, probe);
            during.add(r);
            print(out, String.format("moving %.0f s", (System.nanoTime() - t0) / 1e9), r);
            if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(30)) {
              throw new IllegalStateException("not balanced after 30 minutes");
            }
          }
          double seconds = (System.nanoTime() - t0) / 1e9;
          double moved = summed(cluster, "shardkv_snapshot_received_bytes_total") - bytesBefore;
          out.printf("balanced %.1f s after the two nodes were started (the last window ends up to %d s after); "
              + "snapshot bytes received by the nodes: %.0f MiB; LMDB per node after: %s (load average %s)%n",
              seconds, window.toSeconds(), moved / (1 << 20), storeMib(cluster), LoadAverage.now());
          // Where the snapshot bytes went: one snapshot per finished move, plus any retried
          // fetch, failed move or rebuilt replica.
          out.printf("moves finished %.0f, failed %.0f, rolled back %.0f; replicas rebuilt after a wedge %.0f%n",
              summed(cluster, "shardkv_replica_moves_total{result=\"finished\""),
              summed(cluster, "shardkv_replica_moves_total{result=\"failed\""),
              summed(cluster, "shardkv_replica_moves_total{result=\"rolled_back\""),
              summed(cluster, "shardkv_replica_wedge_rebuilds_total"));
          LoadResult after = generator.run(target, probe);
          print(out, "after", after);
          double worst = during.stream().mapToDouble(LoadResult::p99Ms).max().orElse(0);
          double median = during.stream().mapToDouble(LoadResult::p99Ms).sorted()
              .skip(during.size() / 2).findFirst().orElse(0);
          out.printf("write p99: before %.1f ms; during the moves median of %d windows %.1f ms, worst %.1f ms; after"
              + " %.1f ms; errors during %d%n", before.p99Ms(), during.size(), median, worst, after.p99Ms(),
              during.stream().mapToLong(LoadResult::errors).sum());
        } finally {
          admin.shutdownNow();
        }
      }
    }
  }

  private static void print(PrintStream out, String phase, LoadResult r) {
    out.printf("  %-14s %7.0f puts/s  p50 %6.1f ms  p99 %7.1f ms  max %7.1f ms  errors %d  (load average %s)%n",
        phase, r.opsPerSecond(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.errors(), LoadAverage.now());
  }

  /** Every shard on three voters, every node ACTIVE and within one replica of the mean, no move under way. */
  private static boolean balanced(ManagedChannel admin, int shards) {
    ClusterStatusResponse s;
    try {
      s = AdminGrpc.newBlockingStub(admin).withDeadlineAfter(20, TimeUnit.SECONDS)
          .clusterStatus(ClusterStatusRequest.getDefaultInstance());
    } catch (RuntimeException e) {
      return false;
    }
    if (s.getNodesCount() != NODES || !s.getMovesList().isEmpty()
        || s.getNodesList().stream().anyMatch(n -> !n.getState().equals("ACTIVE"))) {
      return false;
    }
    Map<String, Integer> held = new TreeMap<>();
    for (ShardStatus sh : s.getShardsList()) {
      if (sh.getReplicasCount() != 3) {
        return false;
      }
      sh.getReplicasList().forEach(n -> held.merge(n, 1, Integer::sum));
    }
    double mean = 3.0 * shards / NODES;
    return held.size() == NODES && held.values().stream().allMatch(n -> Math.abs(n - mean) <= 1.0);
  }

  private static void load(ShardkvCluster cluster, int shards, long keys, int valueBytes) {
    ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.addresses().get(0)).usePlaintext().build();
    try {
      ByteString value = ByteString.copyFrom(LoadGenerator.value(valueBytes, 7));
      ShardBatches batches = new ShardBatches(KVGrpc.newBlockingStub(channel), shards,
          Math.max(1, Math.min(1000, (256 << 10) / valueBytes)));
      for (long i = 0; i < keys; i++) {
        batches.put(Keys.key(LOAD_KEY_OFFSET + i), value);
      }
      batches.flush();
    } finally {
      channel.shutdownNow();
    }
  }

  /** LMDB bytes under each node's shards/ directory, in MiB. */
  private static String storeMib(ShardkvCluster cluster) throws IOException {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      java.nio.file.Path shards = cluster.dataDir(i).resolve("shards");
      parts.add("n" + (i + 1) + "=" + (java.nio.file.Files.isDirectory(shards) ? DiskUsage.mib(shards) : 0));
    }
    return String.join(" ", parts);
  }

  /** The series whose Prometheus lines start with {@code series}, summed over the nodes that answer. */
  private static double summed(ShardkvCluster cluster, String series) {
    HttpClient http = HttpClient.newHttpClient();
    double sum = 0;
    for (int i = 0; i < NODES; i++) {
      try {
        String body = http.send(HttpRequest.newBuilder(URI.create(cluster.metricsUrl(i)))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
          if (line.startsWith(series)) {
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          }
        }
      } catch (IOException | RuntimeException e) {
        // a node not started yet has received nothing
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return sum;
      }
    }
    return sum;
  }
}
