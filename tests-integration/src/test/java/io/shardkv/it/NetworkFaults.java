package io.shardkv.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Network faults between the nodes of a {@link ProcessCluster} started
 * {@linkplain ProcessCluster#behindProxies behind proxies}: every byte one node sends another,
 * on Raft ports and client ports alike (nodes fetch snapshots and ask health over client ports),
 * passes through the {@link LinkProxy} of that directed link, and a test cuts and restores
 * links while the nodes run. The test JVM itself reaches every node directly.
 *
 * <p><b>Naming.</b> Nodes are numbered from 0; node {@code i} is {@code n(i+1)} in the cluster
 * and host {@code node(i+1)} in every node's peer list (Ratis replicates peer addresses in its
 * configuration entries, so every node must name a peer with the same string). Each node JVM
 * resolves those names from its own hosts file ({@code -Djdk.net.hosts.file}): its own name is
 * 127.0.0.1, where it listens, and peer B's name, in node A's file, is 127.0.A.B (1-based), where
 * the link A->B's proxy listens on B's port numbers and forwards to 127.0.0.1. So the link A->B
 * carries every connection A opens to B, in both directions: A's requests "forward", B's
 * answers "backward".
 *
 * <p><b>Faults.</b> A fault blocks the bytes that one node sends another, whichever of the two
 * opened the connection: blocking A to B drops the forward bytes of link A->B and the backward
 * bytes of link B->A. "Cut" blocks both ways. A blocked direction is a blackhole, not a refusal:
 * bytes vanish, connections stay open and new ones are accepted, so the nodes notice only
 * through their own timeouts, as in a real partition. Restoring delivers again and closes the
 * connections that lost bytes (their streams are broken), so the nodes reconnect. Faults
 * compose: {@link #isolate}, {@link #partition} and {@link #cutOneWay} add blocks, and
 * {@link #heal} removes them all.
 */
final class NetworkFaults implements AutoCloseable {
  private final int size;
  private final LinkProxy[][] links;
  /** {@code blocked[a][b]}: bytes from node a to node b are dropped. */
  private final boolean[][] blocked;
  private final List<Flapping> flapping = new ArrayList<>();

  /**
   * Starts the proxies of every directed link; {@code portsOf.get(b)} are the ports node b
   * listens on for its peers (Raft and client), which the links into b serve.
   */
  NetworkFaults(List<List<Integer>> portsOf) throws IOException {
    this.size = portsOf.size();
    if (size > 254) {
      throw new IllegalArgumentException("at most 254 nodes fit in 127.0.A.B addresses");
    }
    links = new LinkProxy[size][size];
    blocked = new boolean[size][size];
    try {
      for (int a = 0; a < size; a++) {
        for (int b = 0; b < size; b++) {
          if (a != b) {
            links[a][b] = new LinkProxy(hostName(a) + "->" + hostName(b), proxyAddress(a, b),
                InetAddress.getLoopbackAddress(), portsOf.get(b));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The name node {@code i} has in every node's peer list. */
  static String hostName(int i) {
    return "node" + (i + 1);
  }

  /** Where, for node {@code from}, node {@code to} lives: the address the link's proxy listens on. */
  static InetAddress proxyAddress(int from, int to) {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, (byte) (from + 1), (byte) (to + 1)});
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e); // four bytes are always a valid address
    }
  }

  /** Node {@code i}'s hosts file: itself at 127.0.0.1, every peer at its link's proxy. */
  String hostsFile(int i) {
    StringBuilder b = new StringBuilder("# node " + hostName(i) + ": peers through the proxies of NetworkFaults\n");
    b.append("127.0.0.1 localhost\n");
    b.append("127.0.0.1 ").append(hostName(i)).append('\n');
    localHostName().ifPresent(h -> b.append("127.0.0.1 ").append(h).append('\n'));
    for (int p = 0; p < size; p++) {
      if (p != i) {
        b.append(proxyAddress(i, p).getHostAddress()).append(' ').append(hostName(p)).append('\n');
      }
    }
    return b.toString();
  }

  /**
   * The machine's own name, so that a library asking for the local host's address still gets
   * one: a hosts file given to the JDK is all it resolves from.
   */
  private static Optional<String> localHostName() {
    try {
      String name = InetAddress.getLocalHost().getHostName();
      return name.isBlank() || name.startsWith("node") ? Optional.empty() : Optional.of(name);
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  void writeHostsFile(int i, Path file) throws IOException {
    Files.writeString(file, hostsFile(i));
  }

  int size() {
    return size;
  }

  /** The proxy of the directed link {@code from -> to} (connections {@code from} opens). */
  LinkProxy link(int from, int to) {
    if (from == to) {
      throw new IllegalArgumentException("no link from a node to itself");
    }
    return links[from][to];
  }

  /** Cuts {@code node} from every other node, both ways. */
  synchronized void isolate(int node) {
    partition(Set.of(node));
  }

  /** Cuts every link between {@code side} and the other nodes, both ways. */
  synchronized void partition(Set<Integer> side) {
    for (int a = 0; a < size; a++) {
      for (int b = 0; b < size; b++) {
        if (side.contains(a) != side.contains(b)) {
          blocked[a][b] = true;
        }
      }
    }
    apply();
  }

  /** Cuts {@code a} and {@code b} apart, both ways. */
  synchronized void cut(int a, int b) {
    blocked[a][b] = true;
    blocked[b][a] = true;
    apply();
  }

  /** Undoes every fault between {@code a} and {@code b}. */
  synchronized void restore(int a, int b) {
    blocked[a][b] = false;
    blocked[b][a] = false;
    apply();
  }

  /** Drops what {@code from} sends {@code to}; {@code to}'s bytes still reach {@code from}. */
  synchronized void cutOneWay(int from, int to) {
    blocked[from][to] = true;
    apply();
  }

  /** Removes every fault (flapping links stop first). */
  void heal() {
    List<Flapping> stopping;
    synchronized (this) {
      stopping = List.copyOf(flapping);
    }
    stopping.forEach(Flapping::close);
    synchronized (this) {
      for (boolean[] row : blocked) {
        Arrays.fill(row, false);
      }
      apply();
    }
  }

  /** Whether any link is blocked in any direction. */
  synchronized boolean faulty() {
    for (boolean[] row : blocked) {
      for (boolean b : row) {
        if (b) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Cuts and restores the link between {@code a} and {@code b}, both ways, every
   * {@code period}, starting with a cut, until the returned handle is closed (which restores
   * the link).
   */
  synchronized Flapping flap(int a, int b, Duration period) {
    Flapping f = new Flapping(a, b, period);
    flapping.add(f);
    return f;
  }

  private void apply() {
    for (int a = 0; a < size; a++) {
      for (int b = 0; b < size; b++) {
        if (a != b) {
          links[a][b].block(blocked[a][b], blocked[b][a]);
        }
      }
    }
  }

  /** A link cut and restored on a schedule; closing it stops the schedule and restores the link. */
  final class Flapping implements AutoCloseable {
    private final int a;
    private final int b;
    private final ScheduledExecutorService timer;
    private final AtomicInteger toggles = new AtomicInteger();

    private Flapping(int a, int b, Duration period) {
      this.a = a;
      this.b = b;
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flap-" + hostName(a) + "-" + hostName(b));
        t.setDaemon(true);
        return t;
      });
      timer.scheduleAtFixedRate(this::toggle, 0, period.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void toggle() {
      if (toggles.getAndIncrement() % 2 == 0) {
        cut(a, b);
      } else {
        restore(a, b);
      }
    }

    /** How many times the link has been cut or restored so far. */
    int toggles() {
      return toggles.get();
    }

    @Override
    public void close() {
      timer.shutdownNow();
      try {
        if (!timer.awaitTermination(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("flapping " + hostName(a) + "-" + hostName(b) + " did not stop");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (NetworkFaults.this) {
        flapping.remove(this);
      }
      restore(a, b);
    }
  }

  /** One line per link that moved or dropped bytes (for a test's output). */
  synchronized String describe() {
    StringBuilder b = new StringBuilder();
    for (int a = 0; a < size; a++) {
      for (int c = 0; c < size; c++) {
        if (a != c) {
          b.append(links[a][c]).append('\n');
        }
      }
    }
    return b.toString();
  }

  /** Stops flapping and closes every proxy (and so every connection between the nodes). */
  @Override
  public void close() {
    List<Flapping> stopping;
    synchronized (this) {
      stopping = List.copyOf(flapping);
    }
    stopping.forEach(Flapping::close);
    for (LinkProxy[] row : links) {
      for (LinkProxy l : row) {
        if (l != null) {
          l.close();
        }
      }
    }
  }
}
