package io.shardkv.it;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.shardkv.api.v1.KVGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Nodes as separate JVMs started exactly like {@code bin/shardkv serve --config FILE}: one
 * process per node, a HOCON file per node, ephemeral loopback ports. Kill -9, stop and restart
 * individual nodes; everything is killed on close.
 */
final class ProcessCluster implements AutoCloseable {
  static final int SHARDS = 4;
  private final Path dir;
  private final int size;
  private final String extraConfig;
  private final int[] raftPorts;
  private final int[] clientPorts;
  private final int[] metricsPorts;
  private final Process[] processes;
  private final ManagedChannel[] channels;
  private java.util.function.IntFunction<ManagedChannel> channelFactory;
  private final String clusterId = "it-" + UUID.randomUUID().toString().substring(0, 8);

  ProcessCluster(Path dir, int size, String extraConfig) throws IOException {
    this.dir = dir;
    this.size = size;
    this.extraConfig = extraConfig;
    raftPorts = new int[size];
    clientPorts = new int[size];
    metricsPorts = new int[size];
    processes = new Process[size];
    channels = new ManagedChannel[size];
    for (int i = 0; i < size; i++) {
      raftPorts[i] = freePort();
      clientPorts[i] = freePort();
      metricsPorts[i] = freePort();
    }
    for (int i = 0; i < size; i++) {
      Files.writeString(configFile(i), config(i));
    }
  }

  ProcessCluster(Path dir, String extraConfig) throws IOException {
    this(dir, 3, extraConfig);
  }

  /** Ports handed out in this JVM, so two nodes never get the same one. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A free port below the kernel's ephemeral range (32768-60999 here). A port from inside that
   * range, free when picked, can be taken as the source port of some outgoing connection before
   * the node binds it ("Failed to bind", seen once in CI); ports below it are only ever bound
   * explicitly.
   */
  private static int freePort() throws IOException {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 1000; attempt++) {
      int port = random.nextInt(20_000, 32_000);
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException inUse) {
        // taken by something else: try another
      }
    }
    throw new IOException("no free port found in 20000-32000");
  }

  private String config(int i) {
    StringBuilder peers = new StringBuilder();
    for (int p = 0; p < size; p++) {
      peers.append("    { id = \"n").append(p + 1).append("\", host = \"127.0.0.1\", raft-port = ")
          .append(raftPorts[p]).append(", client-port = ").append(clientPorts[p]).append(" }\n");
    }
    return "shardkv {\n"
        + "  cluster-id = \"" + clusterId + "\"\n"
        + "  node-id = \"n" + (i + 1) + "\"\n"
        + "  shards = " + SHARDS + "\n"
        + "  data-dir = \"" + dataDir(i) + "\"\n"
        + "  peers = [\n" + peers + "  ]\n"
        + "  client { host = \"127.0.0.1\", port = " + clientPorts[i] + " }\n"
        + "  metrics { host = \"127.0.0.1\", port = " + metricsPorts[i] + " }\n"
        + "  store { sync-mode = \"nometasync\", initial-map-size = 8MiB }\n"
        + "  raft { request-timeout = 10s }\n"
        + "}\n" + "shardkv {\n" + extraConfig + "\n}\n";
  }

  Path configFile(int i) {
    return dir.resolve("n" + (i + 1) + ".conf");
  }

  Path dataDir(int i) {
    return dir.resolve("n" + (i + 1));
  }

  Path log(int i) {
    return dir.resolve("n" + (i + 1) + ".log");
  }

  int size() {
    return size;
  }

  void startAll() throws IOException {
    for (int i = 0; i < size; i++) {
      start(i);
    }
    for (int i = 0; i < size; i++) {
      awaitServing(i);
    }
  }

  /** Starts node {@code i} with extra JVM arguments (e.g. -Dshardkv.crash.point=...). */
  void start(int i, String... jvmArgs) throws IOException {
    if (processes[i] != null && processes[i].isAlive()) {
      throw new IllegalStateException("node " + i + " is running");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("--add-opens");
    cmd.add("java.base/java.nio=ALL-UNNAMED");
    cmd.add("--add-opens");
    cmd.add("java.base/sun.nio.ch=ALL-UNNAMED");
    String ratisLog = System.getProperty("shardkv.it.ratis-log");
    if (ratisLog != null) {
      cmd.add("-Dorg.slf4j.simpleLogger.log.org.apache.ratis=" + ratisLog); // debugging aid
    }
    cmd.addAll(List.of(jvmArgs));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.shardkv.server.Main");
    cmd.add("serve");
    cmd.add("--config");
    cmd.add(configFile(i).toString());
    Files.writeString(log(i), "=== start " + String.join(" ", jvmArgs) + "\n",
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    processes[i] = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()))
        .start();
  }

  void awaitServing(int i) {
    Await.until(Duration.ofSeconds(60), "node n" + (i + 1) + " SERVING", () -> {
      if (!processes[i].isAlive()) {
        throw new AssertionError("node n" + (i + 1) + " exited with " + processes[i].exitValue()
            + "; log tail:\n" + logTail(i));
      }
      return serving(i);
    });
  }

  boolean serving(int i) {
    try {
      return HealthGrpc.newBlockingStub(channel(i)).withDeadlineAfter(1, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  boolean alive(int i) {
    return processes[i] != null && processes[i].isAlive();
  }

  /** Waits for node {@code i} to exit by itself (a crash point) and returns its exit code. */
  int awaitExit(int i, Duration timeout) throws InterruptedException {
    if (!processes[i].waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("node n" + (i + 1) + " did not exit within " + timeout);
    }
    return processes[i].exitValue();
  }

  /** SIGKILL: no shutdown hook, no flush. */
  void kill9(int i) throws InterruptedException {
    processes[i].destroyForcibly();
    processes[i].waitFor(30, TimeUnit.SECONDS);
    resetChannel(i);
  }

  /** SIGTERM: graceful stop. */
  void stop(int i) throws InterruptedException {
    processes[i].destroy();
    if (!processes[i].waitFor(30, TimeUnit.SECONDS)) {
      processes[i].destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    resetChannel(i);
  }

  private void resetChannel(int i) {
    if (channels[i] != null) {
      channels[i].shutdownNow();
      channels[i] = null;
    }
  }

  synchronized ManagedChannel channel(int i) {
    if (channels[i] == null) {
      channels[i] = channelFactory != null ? channelFactory.apply(clientPorts[i])
          : ManagedChannelBuilder.forAddress("127.0.0.1", clientPorts[i]).usePlaintext().build();
    }
    return channels[i];
  }

  /** How the test reaches a node's client port (e.g. over TLS); given the port. */
  synchronized void useChannels(java.util.function.IntFunction<ManagedChannel> factory) {
    this.channelFactory = factory;
  }

  int clientPort(int i) {
    return clientPorts[i];
  }

  KVGrpc.KVBlockingStub kv(int i) {
    return KVGrpc.newBlockingStub(channel(i)).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  /** Scrapes node {@code i}'s /metrics and returns the value of the sample named exactly {@code name}. */
  /**
   * The sum of every sample of {@code name} on node {@code i} whose labels include
   * {@code labelPairs} (alternating names and values); 0 if there is none.
   */
  double metric(int i, String name, String... labelPairs) throws IOException, InterruptedException {
    return PrometheusText.sum(scrape(i), name, labelPairs);
  }

  /** The Prometheus text the node serves at /metrics. */
  String scrape(int i) throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + metricsPorts[i] + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The sum over every shard of a per-shard metric. */
  double sumOverShards(int i, String name) throws IOException, InterruptedException {
    return metric(i, name);
  }

  String logTail(int i) {
    try {
      List<String> lines = Files.readAllLines(log(i), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  String log(int i, boolean all) throws IOException {
    return Files.readString(log(i));
  }

  static boolean retryable(StatusRuntimeException e) {
    Status.Code c = e.getStatus().getCode();
    return c == Status.Code.UNAVAILABLE || c == Status.Code.DEADLINE_EXCEEDED;
  }

  @Override
  public void close() {
    for (int i = 0; i < size; i++) {
      resetChannel(i);
      if (processes[i] != null && processes[i].isAlive()) {
        processes[i].destroyForcibly();
        try {
          processes[i].waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Prints every node's log tail (for a failing test). */
  void dumpLogs() {
    for (int i = 0; i < size; i++) {
      System.err.println("----- n" + (i + 1) + " log tail -----\n" + logTail(i));
    }
  }
}
