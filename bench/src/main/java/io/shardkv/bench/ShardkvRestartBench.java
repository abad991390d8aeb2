package io.shardkv.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ShardStatus;
import io.shardkv.api.v1.TakeSnapshotRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Restart time of one shardkv node (a 1-node cluster, 4 shards) against its data size.
 *
 * <p>Per size: load through the public API (Batch requests, all keys of a batch in one shard,
 * so one Raft entry carries many values), snapshot every shard (Admin.TakeSnapshot), write a
 * tail after the snapshot, then restart four ways: SIGTERM or SIGKILL during writes, each
 * followed by a plain restart (the cold-start gate skips: the store is at or past the
 * snapshot) or by deleting the LMDB stores first (the gate must restore every shard from its
 * snapshot). The time is from spawning the JVM to the first successful linearizable Get.
 */
final class ShardkvRestartBench implements AutoCloseable {
  static final int SHARDS = 4;
  static final List<String> MODES = List.of("sigterm-skip", "sigkill-writes-skip", "sigterm-restore",
      "sigkill-writes-restore");
  private static final byte[] PROBE = "probe".getBytes(StandardCharsets.US_ASCII);
  private final RestartConfig config;
  private final PrintStream log;
  private final ShardkvCluster cluster;
  private final AtomicLong nextKey = new AtomicLong();
  private final AtomicLong loadedBytes = new AtomicLong();
  private ManagedChannel channel;

  ShardkvRestartBench(RestartConfig config, PrintStream log) throws IOException {
    this.config = config;
    this.log = log;
    this.cluster = new ShardkvCluster(config.dir().resolve("shardkv"), 1, SHARDS, config.heap(), "");
  }

  /** Starts the node and writes the probe key every timed read looks for. */
  void start() throws IOException {
    cluster.startAll(ClusterSet.START_TIMEOUT);
    channel = newChannel();
    KVGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .put(PutRequest.newBuilder().setKey(ByteString.copyFrom(PROBE)).setValue(ByteString.copyFromUtf8("x")).build());
  }

  private ManagedChannel newChannel() {
    return NettyChannelBuilder.forTarget(cluster.addresses().get(0)).usePlaintext().build();
  }

  /** Loads up to {@code sizeGb}, snapshots, writes a tail, and times every restart mode. */
  List<RestartRow> measure(double sizeGb) throws Exception {
    long target = (long) (sizeGb * (1L << 30));
    long t0 = System.nanoTime();
    load(target);
    double secs = (System.nanoTime() - t0) / 1e9;
    log.printf("shardkv: loaded %d MiB in total (%.1f s for this step)%n", loadedBytes.get() >> 20, secs);
    snapshotAndTail();
    long disk = DiskUsage.mib(cluster.dataDir(0).resolve("shards"));
    List<RestartRow> rows = new ArrayList<>();
    for (String mode : MODES) {
      for (int run = 1; run <= config.runs(); run++) {
        RestartRow row = restartOnce(mode, sizeGb, disk, run);
        log.printf("shardkv %s %.3f GB run %d: %.3f s (%s)%n", mode, sizeGb, run, row.seconds(), row.detail());
        rows.add(row);
      }
    }
    return rows;
  }

  private void load(long targetBytes) throws InterruptedException {
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    byte[] value = LoadGenerator.value(config.valueBytes(), 7);
    for (int t = 0; t < config.loaders(); t++) {
      KVGrpc.KVBlockingStub stub = KVGrpc.newBlockingStub(channel);
      Thread thread = new Thread(() -> {
        try {
          loadLoop(stub, value, targetBytes);
        } catch (RuntimeException e) {
          failure.compareAndSet(null, e);
        }
      }, "loader-" + t);
      thread.start();
      threads.add(thread);
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("loading shardkv failed; node log tail:\n" + cluster.logTail(0), failure.get());
    }
  }

  /** Fresh keys in per-shard batches; only full batches are sent (and counted). */
  private void loadLoop(KVGrpc.KVBlockingStub stub, byte[] value, long targetBytes) {
    ShardBatches batches = new ShardBatches(stub, SHARDS, config.perBatch());
    ByteString v = ByteString.copyFrom(value);
    while (loadedBytes.get() < targetBytes) {
      byte[] key = String.format("load/%012d", nextKey.getAndIncrement()).getBytes(StandardCharsets.US_ASCII);
      loadedBytes.addAndGet((long) batches.put(key, v) * value.length);
    }
  }

  /** A snapshot of every shard (so a restore has one to restore), then writes after it. */
  private void snapshotAndTail() throws IOException {
    Metadata auth = new Metadata();
    auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + cluster.adminToken());
    AdminGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
        // Copying every shard's store at once: ~110 MB/s in all on this disk, so minutes at 8-10 GB.
        .withDeadlineAfter(30, TimeUnit.MINUTES).takeSnapshot(TakeSnapshotRequest.newBuilder().setAll(true).build());
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel);
    for (int i = 0; i < 100; i++) {
      kv.withDeadlineAfter(30, TimeUnit.SECONDS).put(PutRequest.newBuilder()
          .setKey(ByteString.copyFromUtf8("tail/" + i)).setValue(ByteString.copyFromUtf8("t")).build());
    }
  }

  private RestartRow restartOnce(String mode, double sizeGb, long diskMib, int run) throws Exception {
    if (mode.startsWith("sigkill-writes")) {
      try (ShardkvTarget writes = new ShardkvTarget(cluster.addresses(), 1);
          BackgroundWriter writer = new BackgroundWriter(writes.client(0), "w/" + mode + "/" + run + "/")) {
        writer.awaitAcknowledged(20);
        cluster.kill(0);
      }
    } else {
      cluster.stop(0);
    }
    channel.shutdownNow();
    if (mode.endsWith("restore")) {
      deleteTree(cluster.dataDir(0).resolve("shards"));
    }
    // The reading channel exists before the spawn so its set-up is not timed.
    channel = newChannel();
    long t0 = cluster.start(0);
    double seconds = firstLinearizableRead(t0);
    return new RestartRow("shardkv", mode, sizeGb, loadedBytes.get() >> 20, diskMib, run, seconds, coldStarts());
  }

  private double firstLinearizableRead(long t0) {
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel);
    GetRequest get = GetRequest.newBuilder().setKey(ByteString.copyFrom(PROBE)).build();
    long[] done = {0};
    Await.until(Duration.ofSeconds(300), "first linearizable read after restart", () -> {
      cluster.checkAlive(0);
      try {
        // gRPC's reconnect backoff (1 s and growing) would be measured instead of the node.
        channel.resetConnectBackoff();
        if (kv.withDeadlineAfter(2, TimeUnit.SECONDS).get(get).getFound()) {
          done[0] = System.nanoTime();
          return true;
        }
        throw new IllegalStateException("probe key missing after restart: data lost");
      } catch (StatusRuntimeException e) {
        return false;
      }
    });
    return (done[0] - t0) / 1e9;
  }

  /** The cold-start gate's outcomes over the shards, e.g. "skipped" or "restored", from ClusterStatus. */
  private String coldStarts() {
    TreeSet<String> outcomes = new TreeSet<>();
    long maxMs = 0;
    for (ShardStatus s : AdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance()).getShardsList()) {
      outcomes.add(s.getColdStart().getOutcome() + "/" + s.getColdStart().getReason());
      maxMs = Math.max(maxMs, s.getColdStart().getDurationMs());
    }
    return String.join(" ", outcomes) + " gate_max_ms=" + maxMs;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
    cluster.close();
  }
}
