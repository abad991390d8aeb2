package io.shardkv.bench;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A shardkv cluster on loopback started the way {@code bin/shardkv serve --config FILE} starts
 * a node (or by that script itself, see {@link #launcher()}): one JVM per node on service-main's
 * jar and libraries, a HOCON file per node, ephemeral ports, an admin token file. Everything is stopped on close.
 */
public final class ShardkvCluster implements AutoCloseable {
  private final Path dir;
  private final int size;
  private final String heap;
  private final int[] raftPorts;
  private final int[] clientPorts;
  private final int[] metricsPorts;
  /** The first this many nodes are the configured peers; the others join the running cluster. */
  private final int seeds;
  private final LocalProcess[] nodes;
  private final Path tokenFile;

  /**
   * Writes the configuration of a {@code size}-node cluster with {@code shards} shards under
   * {@code dir}; {@code extraConfig} is HOCON inside {@code shardkv { }} (e.g. raft settings).
   */
  public ShardkvCluster(Path dir, int size, int shards, String heap, String extraConfig) throws IOException {
    this(dir, size, size, shards, heap, extraConfig);
  }

  /**
   * As above, but only the first {@code seeds} nodes are configured peers: the others, when
   * started, join the running cluster through them (docs/operations.md, "Growing and shrinking").
   */
  public ShardkvCluster(Path dir, int size, int seeds, int shards, String heap, String extraConfig)
      throws IOException {
    this.dir = dir;
    this.size = size;
    this.seeds = seeds;
    this.heap = heap;
    raftPorts = new int[size];
    clientPorts = new int[size];
    metricsPorts = new int[size];
    nodes = new LocalProcess[size];
    for (int i = 0; i < size; i++) {
      raftPorts[i] = Ports.free();
      clientPorts[i] = Ports.free();
      metricsPorts[i] = Ports.free();
    }
    Files.createDirectories(dir);
    tokenFile = dir.resolve("admin-token");
    Files.writeString(tokenFile, UUID.randomUUID().toString().replace("-", ""));
    String clusterId = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    for (int i = 0; i < size; i++) {
      Files.writeString(configFile(i), config(i, clusterId, shards, extraConfig));
      nodes[i] = new LocalProcess("shardkv n" + (i + 1), dir.resolve("n" + (i + 1) + ".log"));
    }
  }

  private String config(int i, String clusterId, int shards, String extra) {
    StringBuilder peers = new StringBuilder();
    for (int p = 0; p < seeds; p++) {
      peers.append("    { id = \"n").append(p + 1).append("\", host = \"127.0.0.1\", raft-port = ")
          .append(raftPorts[p]).append(", client-port = ").append(clientPorts[p]).append(" }\n");
    }
    return "shardkv {\n"
        + "  cluster-id = \"" + clusterId + "\"\n"
        + "  node-id = \"n" + (i + 1) + "\"\n"
        + "  shards = " + shards + "\n"
        + "  data-dir = \"" + dataDir(i) + "\"\n"
        + "  peers = [\n" + peers + "  ]\n"
        + "  client { host = \"127.0.0.1\", port = " + clientPorts[i] + " }\n"
        + "  metrics { host = \"127.0.0.1\", port = " + metricsPorts[i] + " }\n"
        + (i < seeds ? "" : "  advertise { host = \"127.0.0.1\", raft-port = " + raftPorts[i] + " }\n")
        + "  " + extra + "\n"
        + "}\n";
  }

  Path configFile(int i) {
    return dir.resolve("n" + (i + 1) + ".conf");
  }

  /** Node {@code i}'s data directory (Raft logs and snapshots under raft/, stores under shards/). */
  public Path dataDir(int i) {
    return dir.resolve("n" + (i + 1));
  }

  /** The admin bearer token every node accepts. */
  public String adminToken() throws IOException {
    return Files.readString(tokenFile).trim();
  }

  /** Node {@code i}'s Prometheus endpoint. */
  public String metricsUrl(int i) {
    return "http://127.0.0.1:" + metricsPorts[i] + "/metrics";
  }

  /** Client addresses "127.0.0.1:port" of every node. */
  public List<String> addresses() {
    List<String> a = new ArrayList<>();
    for (int p : clientPorts) {
      a.add("127.0.0.1:" + p);
    }
    return a;
  }

  /** Starts every node and waits until each reports SERVING. */
  public void startAll(Duration timeout) throws IOException {
    for (int i = 0; i < size; i++) {
      start(i);
    }
    for (int i = 0; i < size; i++) {
      awaitServing(i, timeout);
    }
  }

  /** Spawns node {@code i}; returns {@link System#nanoTime()} just before the spawn. */
  public long start(int i) throws IOException {
    Map<String, String> env = new java.util.HashMap<>(Map.of("SHARDKV_ADMIN_TOKEN_FILE", tokenFile.toString()));
    List<String> cmd;
    Optional<Path> launcher = launcher();
    if (launcher.isPresent()) {
      // What users run, class cache included (SHARDKV_JAVA and SHARDKV_JVM_CACHE pass through).
      env.put("SHARDKV_HEAP", heap);
      cmd = List.of(launcher.get().toString(), "serve", "--config", configFile(i).toString());
    } else {
      cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx" + heap,
          "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"));
      // -Dshardkv.node.jvm-opts: JVM flags for these nodes (the harness tests start them with C1
      // and the serial GC, which start cheaper on 2 cores; a benchmark run uses bin/shardkv).
      String extra = System.getProperty("shardkv.node.jvm-opts", "").strip();
      if (!extra.isEmpty()) {
        cmd.addAll(List.of(extra.split("\\s+")));
      }
      cmd.addAll(List.of("-cp", nodeClasspath(), "io.shardkv.server.Main", "serve", "--config",
          configFile(i).toString()));
    }
    return nodes[i].start(cmd, env);
  }

  /**
   * {@code bin/shardkv} when {@code -Dshardkv.node.launcher=bin} (bin/shardkv-bench sets it, so
   * benchmarks time the JVM users start, with its class cache); empty means a plain {@code java}
   * (the tests, which should not train or depend on a cache).
   */
  static Optional<Path> launcher() {
    if (!"bin".equals(System.getProperty("shardkv.node.launcher"))) {
      return Optional.empty();
    }
    Path bin = Path.of(System.getProperty("shardkv.repo.root", ".")).resolve("bin/shardkv");
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException("-Dshardkv.node.launcher=bin but " + bin + " is not executable");
    }
    return Optional.of(bin);
  }

  /** Waits for node {@code i}'s gRPC health check to say SERVING. */
  public void awaitServing(int i, Duration timeout) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", clientPorts[i]).usePlaintext().build();
    try {
      Await.until(timeout, "shardkv n" + (i + 1) + " SERVING", () -> {
        nodes[i].checkAlive();
        try {
          channel.resetConnectBackoff();
          return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING;
        } catch (StatusRuntimeException e) {
          return false;
        }
      });
    } finally {
      channel.shutdownNow();
    }
  }

  /** SIGTERM node {@code i} and wait for it to exit. */
  public void stop(int i) throws InterruptedException {
    nodes[i].stop();
  }

  /** SIGKILL node {@code i}. */
  public void kill(int i) throws InterruptedException {
    nodes[i].kill();
  }

  /** Fails with the log tail if node {@code i} has died. */
  public void checkAlive(int i) {
    nodes[i].checkAlive();
  }

  /** The last lines of node {@code i}'s log. */
  public String logTail(int i) {
    return nodes[i].logTail();
  }

  static String javaBinary() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  /**
   * The classpath bin/shardkv runs a node with: service-main's jar and target/lib. Overridable
   * with -Dshardkv.node.classpath; the repository root comes from -Dshardkv.repo.root.
   */
  static String nodeClasspath() {
    String explicit = System.getProperty("shardkv.node.classpath");
    if (explicit != null) {
      return explicit;
    }
    Path target = Path.of(System.getProperty("shardkv.repo.root", ".")).resolve("service-main/target");
    try (var files = Files.list(target)) {
      Path jar = files.filter(p -> p.getFileName().toString().matches("service-main-.*\\.jar"))
          .findFirst().orElseThrow(() -> new IllegalStateException("no service-main jar in " + target
              + ": build first (mvn -B -q install -DskipTests)"));
      return jar + java.io.File.pathSeparator + target.resolve("lib") + "/*";
    } catch (IOException e) {
      throw new IllegalStateException("cannot find service-main's build in " + target + ": " + e);
    }
  }

  @Override
  public void close() {
    for (LocalProcess n : nodes) {
      try {
        n.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
