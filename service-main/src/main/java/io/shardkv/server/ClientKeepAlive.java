package io.shardkv.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Which HTTP/2 keepalive pings the client-facing gRPC server accepts.
 *
 * <p>gRPC servers answer pings that come more often than they permit with {@code GOAWAY
 * ENHANCE_YOUR_CALM "too_many_pings"} and drop the connection, and grpc-java's defaults permit
 * one ping per 5 minutes, and none at all on a connection without a call in flight. Clients in
 * any language turn keepalive on to notice dead connections through load balancers and NATs,
 * commonly every 10 to 30 s (10 s is the least grpc-java and grpc-go clients allow), and keep
 * pooled connections idle between requests; against the defaults they would be cut and
 * reconnect over and over. So the server permits a ping every {@link #PERMIT_TIME} (etcd's
 * default minimum; below a client's interval with room for its jitter, since pings that arrive
 * early count as strikes) also on idle connections. Answering a ping costs the server one small
 * frame; a client that pings faster than this still gets the GOAWAY, so a ping flood stays cheap.
 */
final class ClientKeepAlive {
  /** The shortest interval between a client's pings that the server accepts. */
  static final Duration PERMIT_TIME = Duration.ofSeconds(5);

  private ClientKeepAlive() {}

  /** Applies the policy to the client-facing server's builder. */
  static NettyServerBuilder permit(NettyServerBuilder builder) {
    return permit(builder, PERMIT_TIME);
  }

  /** The policy with another interval (tests, which cannot wait for 5 s pings). */
  static NettyServerBuilder permit(NettyServerBuilder builder, Duration permitTime) {
    return builder
        .permitKeepAliveTime(permitTime.toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(true);
  }
}
