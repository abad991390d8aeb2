package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.it.LinkProxy.Direction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LinkProxy} against a small server that greets each connection with "hi\n" and then
 * echoes: the greeting shows the backward direction alone, the echo both.
 */
class LinkProxyTest {
  private static final Duration AWAIT = Duration.ofSeconds(10);
  /** How long a read waits to show that nothing arrives; only ever a failure's delay, not a pass's. */
  private static final int SILENCE_MS = 200;

  private GreetingEchoServer server;
  private LinkProxy proxy;
  private InetAddress listen;
  private final List<Socket> clients = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new GreetingEchoServer();
    // An address of its own in 127/8, as a link of NetworkFaults has, at the server's port.
    listen = InetAddress.getByAddress(new byte[] {127, 0, 77, 88});
    proxy = new LinkProxy("test", listen, InetAddress.getLoopbackAddress(), List.of(server.port()));
  }

  @AfterEach
  void stop() throws Exception {
    for (Socket c : clients) {
      c.close();
    }
    proxy.close();
    server.close();
    assertThat(proxy.liveThreads()).as("proxy threads after close").isZero();
    assertThat(proxy.openConnections()).as("proxy connections after close").isZero();
    assertThat(server.liveThreads()).as("server threads after close").isZero();
  }

  @Test
  void passDeliversBothWaysAndCountsBytes() throws IOException {
    Socket c = connect();
    assertThat(read(c, 3)).isEqualTo("hi\n");
    write(c, "hello");
    assertThat(read(c, 5)).isEqualTo("hello");

    assertThat(proxy.connectionsAccepted()).isEqualTo(1);
    // A pump counts right after its write, which the reader may see first.
    Await.until(AWAIT, "5 bytes forward and 8 back", () -> proxy.forwardedBytes(Direction.FORWARD) == 5
        && proxy.forwardedBytes(Direction.BACKWARD) == 8);
    assertThat(proxy.droppedBytes(Direction.FORWARD)).isZero();
    assertThat(proxy.droppedBytes(Direction.BACKWARD)).isZero();
  }

  @Test
  void cutBlackholesAnOpenConnectionWithoutClosingIt() throws IOException {
    Socket c = connect();
    assertThat(read(c, 3)).isEqualTo("hi\n");
    proxy.cut();

    write(c, "lost"); // no exception: the bytes leave, nothing comes back
    Await.until(AWAIT, "the proxy dropping 4 bytes", () -> proxy.droppedBytes(Direction.FORWARD) == 4);
    assertThat(server.received()).isZero();
    assertNothingArrives(c);
    assertThat(proxy.openConnections()).isEqualTo(1);
  }

  @Test
  void cutAcceptsNewConnectionsButNeverForwardsThem() throws IOException {
    proxy.cut();
    Socket c = connect();
    write(c, "lost");
    Await.until(AWAIT, "the proxy dropping 4 bytes", () -> proxy.droppedBytes(Direction.FORWARD) == 4);
    assertThat(proxy.connectionsAccepted()).isEqualTo(1);
    assertThat(server.accepted()).as("connections reaching the server").isZero();
    assertNothingArrives(c); // not even the greeting
  }

  @Test
  void healClosesConnectionsThatLostBytesKeepsIdleOnesAndDeliversAgain() throws IOException {
    Socket lostBytes = connect();
    assertThat(read(lostBytes, 3)).isEqualTo("hi\n");
    Socket idle = connect();
    assertThat(read(idle, 3)).isEqualTo("hi\n");
    proxy.cut();
    write(lostBytes, "lost");
    Socket openedDuringCut = connect();
    write(openedDuringCut, "gone"); // its drop shows the proxy took it as blackholed
    Await.until(AWAIT, "8 bytes dropped", () -> proxy.droppedBytes(Direction.FORWARD) == 8);

    proxy.pass();

    assertEnded(lostBytes);
    assertEnded(openedDuringCut);
    write(idle, "still");
    assertThat(read(idle, 5)).as("a connection that lost nothing goes on").isEqualTo("still");
    Socket fresh = connect();
    assertThat(read(fresh, 3)).isEqualTo("hi\n");
    write(fresh, "again");
    assertThat(read(fresh, 5)).isEqualTo("again");
  }

  @Test
  void oneWayDropsWhatTheSourceSendsButDeliversTheTargetsAnswers() throws IOException {
    proxy.oneWay();
    Socket c = connect();
    assertThat(read(c, 3)).as("the target's greeting still arrives").isEqualTo("hi\n");
    write(c, "ping");
    Await.until(AWAIT, "the proxy dropping 4 bytes", () -> proxy.droppedBytes(Direction.FORWARD) == 4);
    assertThat(server.received()).isZero();
    assertNothingArrives(c);
  }

  @Test
  void blockingBackwardDropsOnlyTheTargetsAnswers() throws IOException {
    proxy.block(false, true);
    Socket c = connect();
    write(c, "ping");
    Await.until(AWAIT, "the server receiving the bytes", () -> server.received() == 4);
    Await.until(AWAIT, "the proxy dropping greeting and echo",
        () -> proxy.droppedBytes(Direction.BACKWARD) == 7);
    assertNothingArrives(c);
    Await.until(AWAIT, "4 bytes forward", () -> proxy.forwardedBytes(Direction.FORWARD) == 4);
  }

  @Test
  void aConnectionToATargetThatIsDownEnds() throws Exception {
    server.close();
    Socket c = connect();
    assertEnded(c);
    Await.until(AWAIT, "the proxy forgetting the connection", () -> proxy.openConnections() == 0);
  }

  @Test
  void closeEndsEveryConnectionAndThreadAndStopsListening() throws IOException {
    Socket forwarded = connect();
    assertThat(read(forwarded, 3)).isEqualTo("hi\n");
    proxy.cut();
    Socket blackholed = connect();
    Await.until(AWAIT, "two connections", () -> proxy.openConnections() == 2);

    proxy.close();

    assertThat(proxy.liveThreads()).isZero();
    assertThat(proxy.openConnections()).isZero();
    assertEnded(forwarded);
    assertEnded(blackholed);
    assertThatThrownBy(() -> new Socket(listen, server.port()).close()).isInstanceOf(ConnectException.class);
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    clients.add(s);
    s.connect(new InetSocketAddress(listen, server.port()), 5_000);
    s.setSoTimeout((int) AWAIT.toMillis());
    return s;
  }

  private static void write(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    s.getOutputStream().flush();
  }

  private static String read(Socket s, int n) throws IOException {
    byte[] b = s.getInputStream().readNBytes(n);
    return new String(b, StandardCharsets.UTF_8);
  }

  /**
   * Nothing can be in flight once the proxy has counted the bytes as dropped, so a short read
   * timeout only confirms what the counters already say.
   */
  private static void assertNothingArrives(Socket s) throws IOException {
    s.setSoTimeout(SILENCE_MS);
    assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
    s.setSoTimeout((int) AWAIT.toMillis());
  }

  /** The proxy closed the connection: end of stream, or a reset if bytes were left unread. */
  private static void assertEnded(Socket s) {
    try {
      InputStream in = s.getInputStream();
      while (in.read() >= 0) {
        // the rest of a greeting that was on its way
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the connection is still open after " + AWAIT);
    } catch (IOException reset) {
      // ended
    }
  }

  /** Greets each connection with "hi\n", then echoes; counts what it receives. */
  private static final class GreetingEchoServer implements AutoCloseable {
    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicLong received = new AtomicLong();
    private final AtomicInteger accepted = new AtomicInteger();

    GreetingEchoServer() throws IOException {
      spawn(this::acceptLoop);
    }

    int port() {
      return socket.getLocalPort();
    }

    long received() {
      return received.get();
    }

    int accepted() {
      return accepted.get();
    }

    int liveThreads() {
      return (int) threads.stream().filter(Thread::isAlive).count();
    }

    private void acceptLoop() {
      while (true) {
        Socket s;
        try {
          s = socket.accept();
        } catch (IOException closed) {
          return;
        }
        accepted.incrementAndGet();
        open.add(s);
        spawn(() -> serve(s));
      }
    }

    private void serve(Socket s) {
      try (s) {
        OutputStream out = s.getOutputStream();
        out.write("hi\n".getBytes(StandardCharsets.UTF_8));
        InputStream in = s.getInputStream();
        byte[] buffer = new byte[1024];
        for (int n; (n = in.read(buffer)) >= 0; ) {
          received.addAndGet(n);
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        // the connection ended
      } finally {
        open.remove(s);
      }
    }

    private void spawn(Runnable body) {
      Thread t = new Thread(() -> {
        try {
          body.run();
        } finally {
          threads.remove(Thread.currentThread());
        }
      }, "greeting-echo");
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }

    @Override
    public void close() throws Exception {
      socket.close();
      for (Socket s : open) {
        s.close();
      }
      for (Thread t : List.copyOf(threads)) {
        t.join(5_000);
      }
    }
  }
}
