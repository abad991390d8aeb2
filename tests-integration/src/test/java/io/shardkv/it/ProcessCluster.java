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
 * process per node, a HOCON file per node, ephemeral loopback ports. Kill -9, stop, pause
 * (SIGSTOP) and restart individual nodes; everything is killed on close. A cluster made with
 * {@link #behindProxies} routes all node-to-node traffic through {@link NetworkFaults}.
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
  private final boolean[] paused;
  private final ManagedChannel[] channels;
  /** Present only behind proxies: then peers are named by host name, resolved per node. */
  private final NetworkFaults faults;
  /** The first this many nodes are the configured peers; the rest join the running cluster. */
  private final int seeds;
  private java.util.function.IntFunction<ManagedChannel> channelFactory;
  private final String clusterId = "it-" + UUID.randomUUID().toString().substring(0, 8);
  /** Whether node JVMs map the shared class archive (all but the cluster that trains it). */
  private boolean classArchive = true;

  ProcessCluster(Path dir, int size, String extraConfig) throws IOException {
    this(dir, size, size, extraConfig, false);
  }

  /**
   * {@code size} nodes of which only the first {@code seeds} are the configured peers (the
   * cluster as created); the others join it when started, through those seeds, as nodes added
   * to a running cluster do.
   */
  static ProcessCluster withJoiners(Path dir, int size, int seeds, String extraConfig) throws IOException {
    return new ProcessCluster(dir, size, seeds, extraConfig, false);
  }

  ProcessCluster(Path dir, String extraConfig) throws IOException {
    this(dir, 3, extraConfig);
  }

  private ProcessCluster(Path dir, int size, int seeds, String extraConfig, boolean proxied) throws IOException {
    this.dir = dir;
    this.size = size;
    this.seeds = seeds;
    this.extraConfig = extraConfig;
    raftPorts = new int[size];
    clientPorts = new int[size];
    metricsPorts = new int[size];
    processes = new Process[size];
    paused = new boolean[size];
    channels = new ManagedChannel[size];
    for (int i = 0; i < size; i++) {
      raftPorts[i] = freePort();
      clientPorts[i] = freePort();
      metricsPorts[i] = freePort();
    }
    if (proxied) {
      List<List<Integer>> portsOf = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        portsOf.add(List.of(raftPorts[i], clientPorts[i]));
      }
      NetworkFaults network = new NetworkFaults(portsOf);
      try {
        for (int i = 0; i < size; i++) {
          network.writeHostsFile(i, hostsFile(i));
        }
      } catch (IOException e) {
        network.close();
        throw e;
      }
      faults = network;
    } else {
      faults = null;
    }
    for (int i = 0; i < size; i++) {
      Files.writeString(configFile(i), config(i));
    }
  }

  /** A one-node cluster that starts without the class archive: the one that trains it. */
  static ProcessCluster withoutClassArchive(Path dir) throws IOException {
    ProcessCluster cluster = new ProcessCluster(dir, 1, "");
    cluster.classArchive = false;
    return cluster;
  }

  /**
   * A 3-node cluster whose nodes reach each other only through the proxies of
   * {@link #faults()}: peers are named {@code node1..3} in every config, and each node JVM
   * resolves those names from its own hosts file (see {@link NetworkFaults}).
   */
  static ProcessCluster behindProxies(Path dir, String extraConfig) throws IOException {
    return new ProcessCluster(dir, 3, 3, extraConfig, true);
  }

  /** The network between the nodes; only for a cluster made {@link #behindProxies}. */
  NetworkFaults faults() {
    if (faults == null) {
      throw new IllegalStateException("this cluster's nodes talk directly: make it with behindProxies");
    }
    return faults;
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
    for (int p = 0; p < seeds; p++) {
      String host = faults == null ? "127.0.0.1" : NetworkFaults.hostName(p);
      peers.append("    { id = \"n").append(p + 1).append("\", host = \"").append(host).append("\", raft-port = ")
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
        + (i < seeds ? "" : "  advertise { host = \"127.0.0.1\", raft-port = " + raftPorts[i] + " }\n")
        + "}\n" + "shardkv {\n" + extraConfig + "\n}\n";
  }

  /** The cluster id every node's configuration names (group ids derive from it). */
  String clusterId() {
    return clusterId;
  }

  Path configFile(int i) {
    return dir.resolve("n" + (i + 1) + ".conf");
  }

  /** Node {@code i}'s hosts file (behind proxies only). */
  Path hostsFile(int i) {
    return dir.resolve("n" + (i + 1) + ".hosts");
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
    // C1 only: a test node lives seconds to a minute, and C2 compiling the start-up paths took
    // more CPU than the tests themselves (ReplicationIT 23 s -> 14 s, PlacementIT 33 s -> 20 s on 2 cores).
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("--add-opens");
    cmd.add("java.base/java.nio=ALL-UNNAMED");
    cmd.add("--add-opens");
    cmd.add("java.base/sun.nio.ch=ALL-UNNAMED");
    String ratisLog = System.getProperty("shardkv.it.ratis-log");
    if (ratisLog != null) {
      cmd.add("-Dorg.slf4j.simpleLogger.log.org.apache.ratis=" + ratisLog); // debugging aid
    }
    if (faults != null) {
      cmd.add("-Djdk.net.hosts.file=" + hostsFile(i)); // peer names lead to this node's links
    }
    String extra = System.getProperty("shardkv.it.node-jvm-opts", "");
    if (!extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+"))); // measuring JVM settings
    }
    if (classArchive) {
      cmd.addAll(NodeClassArchive.jvmOptions());
    }
    cmd.addAll(List.of(jvmArgs));
    cmd.add("-cp");
    cmd.add(NodeClassArchive.classPath());
    cmd.add("io.shardkv.server.Main");
    cmd.add("serve");
    cmd.add("--config");
    cmd.add(configFile(i).toString());
    Files.writeString(log(i), "=== start " + String.join(" ", jvmArgs) + "\n",
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    paused[i] = false;
    processes[i] = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()))
        .start();
  }

  void awaitServing(int i) {
    try {
      Await.until(Duration.ofSeconds(60), "node n" + (i + 1) + " SERVING", () -> {
        if (!processes[i].isAlive()) {
          throw new AssertionError("node n" + (i + 1) + " exited with " + processes[i].exitValue()
              + "; log tail:\n" + logTail(i));
        }
        return serving(i);
      });
    } catch (AssertionError e) {
      if (alive(i)) {
        threadDumps();
        throw new AssertionError(e.getMessage() + "; every live node's threads are dumped into its log ("
            + log(i).getParent() + ")", e);
      }
      throw e;
    }
  }

  /**
   * SIGQUIT to every live, unpaused node: the JVM writes its threads to the node's log and runs
   * on. A node that never becomes ready is only explained by what its threads wait on.
   */
  void threadDumps() {
    for (int n = 0; n < size; n++) {
      if (alive(n) && !paused[n]) {
        try {
          long before = Files.size(log(n));
          signal(n, "QUIT");
          int node = n;
          Await.until(Duration.ofSeconds(10), "n" + (n + 1) + "'s thread dump", () -> {
            try {
              return Files.readString(log(node)).indexOf("JNI global refs", (int) before) > 0;
            } catch (IOException ex) {
              return false;
            }
          });
        } catch (IOException | InterruptedException | AssertionError | IllegalStateException ex) {
          System.err.println("no thread dump of n" + (n + 1) + ": " + ex);
        }
      }
    }
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

  /**
   * SIGSTOP: the process keeps its sockets and state but runs no code, as in a long GC pause
   * or a stalled VM; peers see only silence. Returns once the kernel reports it stopped.
   */
  void pause(int i) throws IOException, InterruptedException {
    signal(i, "STOP");
    paused[i] = true;
    long pid = processes[i].pid();
    Await.until(Duration.ofSeconds(10), "n" + (i + 1) + " stopped", () -> processState(pid) == 'T');
  }

  /** SIGCONT: a paused node runs again from where it stopped. */
  void resume(int i) throws IOException, InterruptedException {
    signal(i, "CONT");
    paused[i] = false;
  }

  boolean paused(int i) {
    return paused[i];
  }

  private void signal(int i, String signal) throws IOException, InterruptedException {
    if (!alive(i)) {
      throw new IllegalStateException("node n" + (i + 1) + " is not running");
    }
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(processes[i].pid()))
        .redirectErrorStream(true).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      kill.destroyForcibly();
      throw new IOException("kill -" + signal + " n" + (i + 1) + " failed: "
          + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /** The state letter of /proc/PID/stat ('T': stopped), or '?' if it cannot be read. */
  private static char processState(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2); // the command name may hold spaces
    } catch (IOException | RuntimeException e) {
      return '?';
    }
  }

  /** A paused process would hold back a SIGTERM (and its own exit) until it runs again. */
  private void resumeIfPaused(int i) {
    if (paused[i] && alive(i)) {
      try {
        resume(i);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    paused[i] = false;
  }

  /** SIGKILL: no shutdown hook, no flush. */
  void kill9(int i) throws InterruptedException {
    resumeIfPaused(i);
    processes[i].destroyForcibly();
    processes[i].waitFor(30, TimeUnit.SECONDS);
    resetChannel(i);
  }

  /** SIGTERM: graceful stop. */
  void stop(int i) throws InterruptedException {
    resumeIfPaused(i);
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
        try {
          resumeIfPaused(i);
        } catch (RuntimeException e) {
          // SIGKILL below ends a stopped process as well
        }
        processes[i].destroyForcibly();
        try {
          processes[i].waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    if (faults != null) {
      faults.close();
    }
  }

  /** Prints every node's log tail (for a failing test). */
  void dumpLogs() {
    for (int i = 0; i < size; i++) {
      System.err.println("----- n" + (i + 1) + " log tail -----\n" + logTail(i));
    }
  }
}
