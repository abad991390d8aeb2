package io.shardkv.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.PutRequest;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code shardkv-bench restart-cluster}: the whole 3-node cluster ({@code --kill all}) or one
 * node, n2, while its peers serve ({@code --kill one}) killed with SIGKILL while a client writes,
 * and started again on its data, the way a power cut, {@code kill -9} of {@code bin/shardkv dev}
 * or a crashed pod does. Per run it prints, from the first spawn, when the first linearizable
 * read succeeded through any restarted node, when one had succeeded through every restarted
 * node, and when every restarted node's health said SERVING.
 *
 * <p>Before the timed runs the cluster is stopped cleanly once and started again (what trains
 * bin/shardkv's class cache, as any cluster that has been stopped before has). The nodes are
 * spawned one after another as fast as the driver can (a few milliseconds apart), as
 * {@code bin/shardkv dev} starts them; the driver's JVM is warm and its channels exist
 * before the spawn, so only the cluster is timed.
 */
final class ClusterRestartCommand {
  private static final int NODES = 3;
  private static final byte[] PROBE = "probe".getBytes(StandardCharsets.US_ASCII);

  private ClusterRestartCommand() {}

  /** One restart: milliseconds from the first spawn to each milestone. */
  record Result(long firstReadMs, long readThroughEveryNodeMs, long allServingMs) {}

  static void run(Args a, PrintStream out) throws Exception {
    int runs = a.integer("runs", 3);
    int keys = a.integer("keys", 20_000);
    int valueBytes = a.integer("value-bytes", 1024);
    String heap = a.string("heap", "384m");
    String extraConfig = a.string("extra-config", "");
    String dirName = a.string("dir", "");
    String kill = a.string("kill", "all");
    int shards = a.integer("shards", 4);
    if (!kill.equals("all") && !kill.equals("one")) {
      throw new IllegalArgumentException("--kill: all or one, got " + kill);
    }
    a.rejectUnknown();
    // n2 for --kill one: it is no node's first in the client address lists.
    List<Integer> restarted = kill.equals("all") ? List.of(0, 1, 2) : List.of(1);
    out.printf("# restart-cluster --kill %s: %d nodes, %d shards, %d keys of %d B, heap %s, extra config '%s'; %d cores, load average %s%n",
        kill, NODES, shards, keys, valueBytes, heap, extraConfig, Runtime.getRuntime().availableProcessors(), LoadAverage.now());
    try (WorkDir work = WorkDir.of(dirName, "shardkv-restart-cluster-");
        ShardkvCluster cluster = new ShardkvCluster(work.path().resolve("shardkv"), NODES, shards, heap, extraConfig)) {
      cluster.startAll(ClusterSet.START_TIMEOUT);
      load(cluster, shards, keys, valueBytes);
      // A clean stop and start first, as a cluster that has run before has had: through
      // bin/shardkv that stop writes the JVM class cache every later start uses.
      for (int i = 0; i < NODES; i++) {
        cluster.stop(i);
      }
      cluster.startAll(ClusterSet.START_TIMEOUT);
      List<Result> results = new ArrayList<>();
      for (int run = 1; run <= runs; run++) {
        Result r = restartOnce(cluster, restarted);
        results.add(r);
        out.printf("run %d: first linearizable read %d ms, a read through every restarted node %d ms, all SERVING %d ms (load average %s)%n",
            run, r.firstReadMs(), r.readThroughEveryNodeMs(), r.allServingMs(), LoadAverage.now());
      }
      long[] first = results.stream().mapToLong(Result::firstReadMs).sorted().toArray();
      out.printf("first linearizable read over %d runs: min %d ms, median %d ms, max %d ms%n",
          runs, first[0], first[first.length / 2], first[first.length - 1]);
    }
  }

  /** The probe key every timed read looks for, then {@code keys} values in per-shard batches. */
  private static void load(ShardkvCluster cluster, int shards, int keys, int valueBytes) {
    ManagedChannel channel = channel(cluster.addresses().get(0));
    try {
      KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel);
      kv.withDeadlineAfter(30, TimeUnit.SECONDS).put(PutRequest.newBuilder()
          .setKey(ByteString.copyFrom(PROBE)).setValue(ByteString.copyFromUtf8("x")).build());
      ByteString value = ByteString.copyFrom(LoadGenerator.value(valueBytes, 7));
      ShardBatches batches = new ShardBatches(kv, shards, 128);
      for (int i = 0; i < keys; i++) {
        batches.put(Keys.key(i), value);
      }
      batches.flush();
    } finally {
      channel.shutdownNow();
    }
  }

  private static Result restartOnce(ShardkvCluster cluster, List<Integer> restarted) throws Exception {
    // The writer goes through a node that stays up when only n2 is killed.
    try (ShardkvTarget writes = new ShardkvTarget(List.of(cluster.addresses().get(0)), 1);
        BackgroundWriter writer = new BackgroundWriter(writes.client(0), "w/" + System.nanoTime() + "/")) {
      writer.awaitAcknowledged(20);
      for (int i : restarted) {
        cluster.kill(i);
      }
    }
    List<ManagedChannel> channels = restarted.stream().map(i -> channel(cluster.addresses().get(i))).toList();
    ExecutorService pollers = Executors.newFixedThreadPool(restarted.size());
    try {
      long t0 = -1;
      for (int i : restarted) {
        long spawned = cluster.start(i);
        t0 = t0 < 0 ? spawned : t0;
      }
      // One poller per node, so a node that accepts but cannot answer yet does not delay the
      // others' first read.
      List<CompletableFuture<Long>> reads = new ArrayList<>();
      for (int k = 0; k < restarted.size(); k++) {
        int node = restarted.get(k);
        ManagedChannel channel = channels.get(k);
        reads.add(CompletableFuture.supplyAsync(() -> firstRead(cluster, node, channel), pollers));
      }
      long[] readAt = new long[reads.size()];
      for (int k = 0; k < readAt.length; k++) {
        readAt[k] = reads.get(k).get();
      }
      for (int i : restarted) {
        cluster.awaitServing(i, Duration.ofSeconds(120));
      }
      long servingAt = System.nanoTime();
      long first = Arrays.stream(readAt).min().orElseThrow();
      long every = Arrays.stream(readAt).max().orElseThrow();
      return new Result(ms(first - t0), ms(every - t0), ms(servingAt - t0));
    } finally {
      pollers.shutdownNow();
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  /** Polls node {@code i} until a linearizable read of the probe succeeds; its {@link System#nanoTime()}. */
  private static long firstRead(ShardkvCluster cluster, int i, ManagedChannel channel) {
    GetRequest get = GetRequest.newBuilder().setKey(ByteString.copyFrom(PROBE)).build();
    long[] at = {-1};
    Await.until(Duration.ofSeconds(120), "a linearizable read through n" + (i + 1), () -> {
      cluster.checkAlive(i);
      at[0] = tryRead(channel, get);
      return at[0] >= 0;
    });
    return at[0];
  }

  /** {@link System#nanoTime()} of a successful linearizable read of the probe, or -1. */
  private static long tryRead(ManagedChannel channel, GetRequest get) {
    try {
      // gRPC's reconnect backoff (1 s and growing) would be measured instead of the node.
      channel.resetConnectBackoff();
      if (!KVGrpc.newBlockingStub(channel).withDeadlineAfter(500, TimeUnit.MILLISECONDS).get(get).getFound()) {
        throw new IllegalStateException("probe key missing after the restart: data lost");
      }
      return System.nanoTime();
    } catch (StatusRuntimeException e) {
      return -1;
    }
  }

  private static ManagedChannel channel(String address) {
    return NettyChannelBuilder.forTarget(address).usePlaintext().build();
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
