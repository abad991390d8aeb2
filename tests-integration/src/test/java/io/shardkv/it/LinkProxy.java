package io.shardkv.it;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The TCP forwarder of one directed link A->B: it listens on {@code listen:port} for each of
 * B's ports and forwards every connection A opens there to {@code target:port}, byte for byte.
 * "Forward" bytes travel from the connection's opener (A) to B; "backward" bytes are B's
 * answers on those same connections (connections B opens to A belong to the link B->A).
 *
 * <p>Each direction can be blocked. A blocked direction is a blackhole, as in a real partition:
 * the bytes are read and dropped, nothing fails and nothing is closed, so the peers see only
 * silence and their own timeouts. A connection opened while both directions are blocked is
 * accepted but never connected onward. A connection that lost bytes carries a broken stream,
 * so every such connection is closed when a direction is unblocked again and the peers
 * reconnect, as they would once a real partition heals and their timeouts fire.
 *
 * <p>Two threads per connection (one per direction) and one per port: plenty for a test.
 */
final class LinkProxy implements AutoCloseable {
  /** Which way bytes travel on a connection of this link. */
  enum Direction {
    /** From the node that opened the connection (the link's source) to the target node. */
    FORWARD,
    /** The target node's answers back to the source. */
    BACKWARD
  }

  private static final int CONNECT_TIMEOUT_MS = 2_000;

  private final String name;
  private final InetAddress target;
  private final List<ServerSocket> servers = new ArrayList<>();
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final AtomicLong[] forwarded = {new AtomicLong(), new AtomicLong()};
  private final AtomicLong[] dropped = {new AtomicLong(), new AtomicLong()};
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicInteger threadIds = new AtomicInteger();
  // Guarded by this: a pump decides "drop" and marks its connection broken under the same lock
  // that unblocking takes to close broken connections, so no broken connection survives a heal.
  private boolean forwardBlocked;
  private boolean backwardBlocked;
  private volatile boolean closed;

  /** Binds {@code listen:port} for every port (failing if one is taken) and starts accepting. */
  LinkProxy(String name, InetAddress listen, InetAddress target, Collection<Integer> ports) throws IOException {
    this.name = name;
    this.target = target;
    try {
      for (int port : ports) {
        ServerSocket server = new ServerSocket();
        servers.add(server);
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(listen, port), 64);
      }
    } catch (IOException e) {
      close();
      throw new IOException(name + ": cannot listen on " + listen + " " + ports, e);
    }
    for (ServerSocket server : servers) {
      spawn("accept-" + server.getLocalPort(), () -> acceptLoop(server));
    }
  }

  String name() {
    return name;
  }

  /** Delivers everything again (new connections); connections that lost bytes are closed. */
  void pass() {
    block(false, false);
  }

  /** Blackholes both directions: a partition of this link. */
  void cut() {
    block(true, true);
  }

  /** Drops what the source sends to the target; the target's bytes still reach the source. */
  void oneWay() {
    block(true, false);
  }

  /** Sets which directions drop their bytes. */
  synchronized void block(boolean forward, boolean backward) {
    boolean unblocks = (forwardBlocked && !forward) || (backwardBlocked && !backward);
    forwardBlocked = forward;
    backwardBlocked = backward;
    if (unblocks) {
      for (Connection c : connections) {
        if (c.broken) {
          c.close();
        }
      }
    }
  }

  synchronized boolean blocked(Direction d) {
    return d == Direction.FORWARD ? forwardBlocked : backwardBlocked;
  }

  /** Bytes delivered in direction {@code d}, over the proxy's life. */
  long forwardedBytes(Direction d) {
    return forwarded[d.ordinal()].get();
  }

  /** Bytes read and dropped in direction {@code d}, over the proxy's life. */
  long droppedBytes(Direction d) {
    return dropped[d.ordinal()].get();
  }

  /** Connections accepted over the proxy's life (forwarded or blackholed). */
  long connectionsAccepted() {
    return accepted.get();
  }

  /** Connections currently open (forwarded or blackholed). */
  int openConnections() {
    return connections.size();
  }

  /** Threads of this proxy still running (acceptors and pumps); 0 once closed. */
  int liveThreads() {
    return (int) threads.stream().filter(Thread::isAlive).count();
  }

  private void acceptLoop(ServerSocket server) {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      Connection c = new Connection(client, server.getLocalPort());
      connections.add(c);
      if (closed) {
        c.close();
        return;
      }
      spawn("conn-" + server.getLocalPort(), c::open);
    }
  }

  private void spawn(String what, Runnable body) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } finally {
        threads.remove(Thread.currentThread());
      }
    }, "link-" + name + "-" + what + "-" + threadIds.incrementAndGet());
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** One accepted connection and, unless it was blackholed from the start, its onward one. */
  private final class Connection {
    private final Socket client;
    private final int port;
    private volatile Socket upstream;
    // Lost bytes, or never connected onward: the stream is unusable once the link delivers again.
    private volatile boolean broken;

    Connection(Socket client, int port) {
      this.client = client;
      this.port = port;
    }

    void open() {
      boolean blackholed;
      synchronized (LinkProxy.this) {
        blackholed = forwardBlocked && backwardBlocked;
        broken = blackholed;
      }
      try {
        client.setTcpNoDelay(true); // the peers' small frames must not wait on Nagle here
        if (!blackholed) {
          Socket up = new Socket();
          upstream = up;
          up.setTcpNoDelay(true);
          up.connect(new InetSocketAddress(target, port), CONNECT_TIMEOUT_MS);
        }
      } catch (IOException e) {
        close(); // the target is down: the source sees its connection end, as with a refusal
        return;
      }
      if (!blackholed) {
        spawn("back-" + port, () -> pump(upstream, client, Direction.BACKWARD));
      }
      pump(client, upstream, Direction.FORWARD);
    }

    /** Copies {@code from} to {@code to}, or drops what it reads while {@code d} is blocked. */
    private void pump(Socket from, Socket to, Direction d) {
      byte[] buffer = new byte[16 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to == null ? null : to.getOutputStream();
        while (true) {
          int n = in.read(buffer);
          if (n < 0) {
            break;
          }
          if (drop(d) || out == null) {
            dropped[d.ordinal()].addAndGet(n);
            continue;
          }
          out.write(buffer, 0, n);
          forwarded[d.ordinal()].addAndGet(n);
        }
      } catch (IOException e) {
        // closed by us, or reset by a peer: handled as an end below
      }
      // An end seen while blocked must not cross the blackhole (a real partition would not
      // carry the FIN either): leave the connection for the heal to close.
      if (!drop(d)) {
        close();
      }
    }

    private boolean drop(Direction d) {
      synchronized (LinkProxy.this) {
        boolean drop = d == Direction.FORWARD ? forwardBlocked : backwardBlocked;
        if (drop) {
          broken = true;
        }
        return drop;
      }
    }

    void close() {
      connections.remove(this);
      closeQuietly(client);
      closeQuietly(upstream);
    }
  }

  private static void closeQuietly(Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing to do: it is going away
      }
    }
  }

  /** Stops accepting, closes every connection and waits for every thread of the proxy. */
  @Override
  public void close() {
    closed = true;
    servers.forEach(LinkProxy::closeQuietly);
    // At least once, and again until nothing is left: an acceptor may add a connection (and
    // its thread) while a pass runs, and a blackholed connection outlives its pump threads.
    long deadline = System.nanoTime() + 10_000_000_000L;
    do {
      for (Connection c : connections) {
        c.close();
      }
      for (Thread t : List.copyOf(threads)) {
        try {
          t.join(1_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    } while ((!threads.isEmpty() || !connections.isEmpty()) && System.nanoTime() < deadline);
  }

  @Override
  public String toString() {
    return String.format("%s: %d conns, fwd %d/%d dropped, back %d/%d dropped", name, accepted.get(),
        forwardedBytes(Direction.FORWARD), droppedBytes(Direction.FORWARD),
        forwardedBytes(Direction.BACKWARD), droppedBytes(Direction.BACKWARD));
  }
}
