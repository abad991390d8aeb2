package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The keepalive policy against a real server, with raw HTTP/2 PING frames on a connection that
 * carries no call (the case grpc-java's defaults refuse). gRPC clients cannot ping faster than
 * every 10 s, so the test speaks HTTP/2 itself and scales the policy's interval down.
 */
class ClientKeepAliveTest {
  private static final Duration PERMIT = Duration.ofMillis(200);
  private static final int PINGS = 5;
  private static final int TYPE_SETTINGS = 0x4;
  private static final int TYPE_PING = 0x6;
  private static final int TYPE_GOAWAY = 0x7;
  private static final int FLAG_ACK = 0x1;

  @Test
  void idleClientPingingNoFasterThanPermittedKeepsItsConnection() throws Exception {
    assertThat(goAwayAfterPings(b -> ClientKeepAlive.permit(b, PERMIT), PERMIT.multipliedBy(2))).isFalse();
  }

  @Test
  void withGrpcDefaultsTheSamePingsAreCut() throws Exception {
    // The control: proves the test would see the GOAWAY the policy exists to avoid.
    assertThat(goAwayAfterPings(UnaryOperator.identity(), PERMIT.multipliedBy(2))).isTrue();
  }

  /** Sends {@link #PINGS} pings {@code spacing} apart and reports whether the server sent GOAWAY. */
  private static boolean goAwayAfterPings(UnaryOperator<NettyServerBuilder> policy, Duration spacing)
      throws Exception {
    Server server = policy.apply(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)))
        .addService(new HealthStatusManager().getHealthService())
        .build().start();
    try (Socket socket = new Socket("127.0.0.1", server.getPort())) {
      socket.setSoTimeout((int) spacing.toMillis());
      OutputStream out = socket.getOutputStream();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      frame(out, TYPE_SETTINGS, 0, new byte[0]);
      for (int i = 0; i < PINGS; i++) {
        // Draining for `spacing` first also spaces the pings, the first one included: the
        // server counts from when the connection opened.
        if (drain(in, out)) {
          return true;
        }
        frame(out, TYPE_PING, 0, ByteBuffer.allocate(8).putLong(i).array());
      }
      return drain(in, out);
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Reads frames until the socket is quiet; acknowledges SETTINGS; true on GOAWAY. */
  private static boolean drain(DataInputStream in, OutputStream out) throws IOException {
    try {
      while (true) {
        int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        in.readInt(); // stream id
        in.readFully(new byte[length]);
        if (type == TYPE_GOAWAY) {
          return true;
        }
        if (type == TYPE_SETTINGS && (flags & FLAG_ACK) == 0) {
          frame(out, TYPE_SETTINGS, FLAG_ACK, new byte[0]);
        }
      }
    } catch (SocketTimeoutException quiet) {
      return false;
    } catch (java.io.EOFException closed) {
      // The server closed the connection; a GOAWAY precedes that, so it was read above.
      return false;
    }
  }

  private static void frame(OutputStream out, int type, int flags, byte[] payload) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(9);
    header.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
    header.put((byte) type).put((byte) flags).putInt(0);
    out.write(header.array());
    out.write(payload);
    out.flush();
  }
}
