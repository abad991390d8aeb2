package io.shardkv.server;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.shardkv.server.ShardkvConfig.Peer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Lazily opened gRPC channels to other nodes' client ports (for snapshot transfer). */
final class PeerChannels implements AutoCloseable {
  private final Map<String, Peer> peers;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  PeerChannels(ShardkvConfig config) {
    this.peers = config.peers().stream().collect(java.util.stream.Collectors.toMap(Peer::id, p -> p));
  }

  ManagedChannel to(String nodeId) {
    return channels.computeIfAbsent(nodeId, id -> {
      Peer peer = peers.get(id);
      if (peer == null) {
        throw new IllegalArgumentException("unknown node '" + id + "'");
      }
      return ManagedChannelBuilder.forAddress(peer.host(), peer.clientPort()).usePlaintext().build();
    });
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
