package io.shardkv.server;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.util.Optional;
import io.shardkv.server.ShardkvConfig.Peer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Lazily opened gRPC channels to other nodes' client ports (snapshot transfer, peer health). */
final class PeerChannels implements AutoCloseable {
  private final Map<String, Peer> peers;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Optional<SslContext> tls;

  PeerChannels(ShardkvConfig config) {
    this.peers = config.peers().stream().collect(java.util.stream.Collectors.toMap(Peer::id, p -> p));
    this.tls = config.security().tls().map(TlsContexts::client);
  }

  ManagedChannel to(String nodeId) {
    return channels.computeIfAbsent(nodeId, id -> {
      Peer peer = peers.get(id);
      if (peer == null) {
        throw new IllegalArgumentException("unknown node '" + id + "'");
      }
      NettyChannelBuilder builder = NettyChannelBuilder.forAddress(peer.host(), peer.clientPort());
      if (tls.isPresent()) {
        builder.sslContext(tls.get());
      } else {
        builder.usePlaintext();
      }
      return builder.build();
    });
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
