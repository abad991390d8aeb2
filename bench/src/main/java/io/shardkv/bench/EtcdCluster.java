package io.shardkv.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * An etcd cluster on loopback: {@code size} members of the etcd binary, ephemeral ports, one
 * data directory per member. Everything is stopped on close.
 */
public final class EtcdCluster implements AutoCloseable {
  /** Large enough for the restart benchmark's biggest data set (etcd's default is 2 GB). */
  private static final long QUOTA_BYTES = 16L << 30;
  private final Path dir;
  private final String binary;
  private final int size;
  private final int[] clientPorts;
  private final int[] peerPorts;
  private final LocalProcess[] members;
  private final String token = "bench-" + UUID.randomUUID().toString().substring(0, 8);

  public EtcdCluster(Path dir, String binary, int size) throws IOException {
    this.dir = dir;
    this.binary = binary;
    this.size = size;
    clientPorts = new int[size];
    peerPorts = new int[size];
    members = new LocalProcess[size];
    Files.createDirectories(dir);
    for (int i = 0; i < size; i++) {
      clientPorts[i] = Ports.free();
      peerPorts[i] = Ports.free();
      members[i] = new LocalProcess("etcd m" + (i + 1), dir.resolve("m" + (i + 1) + ".log"));
    }
  }

  /** The etcd binary: -Dshardkv.bench.etcd, else etcd on the PATH, else empty. */
  public static Optional<String> findBinary() {
    String explicit = System.getProperty("shardkv.bench.etcd");
    if (explicit != null) {
      return Optional.of(explicit);
    }
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(d, "etcd");
      if (Files.isExecutable(p)) {
        return Optional.of(p.toString());
      }
    }
    return Optional.empty();
  }

  /** Client endpoints "http://127.0.0.1:port" of every member. */
  public List<String> endpoints() {
    List<String> e = new ArrayList<>();
    for (int p : clientPorts) {
      e.add("http://127.0.0.1:" + p);
    }
    return e;
  }

  public Path dataDir(int i) {
    return dir.resolve("m" + (i + 1));
  }

  /** Starts every member and waits until each answers /health with a leader. */
  public void startAll(Duration timeout) throws IOException {
    for (int i = 0; i < size; i++) {
      start(i);
    }
    for (int i = 0; i < size; i++) {
      awaitHealthy(i, timeout);
    }
  }

  /** Spawns member {@code i}; returns {@link System#nanoTime()} just before the spawn. */
  public long start(int i) throws IOException {
    StringBuilder initial = new StringBuilder();
    for (int p = 0; p < size; p++) {
      initial.append(p == 0 ? "" : ",").append("m").append(p + 1).append("=http://127.0.0.1:").append(peerPorts[p]);
    }
    List<String> cmd = List.of(binary, "--name", "m" + (i + 1), "--data-dir", dataDir(i).toString(),
        "--listen-client-urls", "http://127.0.0.1:" + clientPorts[i],
        "--advertise-client-urls", "http://127.0.0.1:" + clientPorts[i],
        "--listen-peer-urls", "http://127.0.0.1:" + peerPorts[i],
        "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPorts[i],
        "--initial-cluster", initial.toString(), "--initial-cluster-token", token,
        "--initial-cluster-state", "new", "--quota-backend-bytes", Long.toString(QUOTA_BYTES),
        "--logger", "zap", "--log-level", "warn");
    return members[i].start(cmd, Map.of());
  }

  /** Waits until member {@code i} reports healthy (it has a leader and answers). */
  public void awaitHealthy(int i, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + clientPorts[i] + "/health"))
        .timeout(Duration.ofSeconds(2)).build();
    Await.until(timeout, "etcd m" + (i + 1) + " healthy", () -> {
      members[i].checkAlive();
      try {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 && r.body().contains("\"true\"");
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    });
  }

  public void stop(int i) throws InterruptedException {
    members[i].stop();
  }

  public void kill(int i) throws InterruptedException {
    members[i].kill();
  }

  public void checkAlive(int i) {
    members[i].checkAlive();
  }

  @Override
  public void close() {
    for (LocalProcess m : members) {
      try {
        m.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
