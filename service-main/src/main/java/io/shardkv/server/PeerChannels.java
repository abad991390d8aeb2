package io.shardkv.server;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.shardkv.control.map.ClusterMapView;
import io.shardkv.raft.topology.NodeDirectory;
import io.shardkv.raft.topology.PeerAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Lazily opened gRPC channels to other nodes' client ports (snapshot transfer, peer health).
 * Each answer's cluster map version reaches this node's {@link ClusterMapView}.
 */
final class PeerChannels implements AutoCloseable {
  private final NodeDirectory nodes;
  private final int defaultClientPort;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Optional<SslContext> tls;
  private final ClusterMapView mapView;

  /**
   * @param nodes where each node listens (configured peers and nodes the cluster map added)
   * @param mapView told of the map version every peer's answer carries
   */
  PeerChannels(ShardkvConfig config, NodeDirectory nodes, ClusterMapView mapView) {
    this.nodes = nodes;
    this.mapView = mapView;
    this.defaultClientPort = config.client().port();
    this.tls = config.security().tls().map(TlsContexts::client);
  }

  ManagedChannel to(String nodeId) {
    return channels.computeIfAbsent(nodeId, id -> {
      PeerAddress peer = nodes.find(id).orElseThrow(() -> new IllegalArgumentException("unknown node '" + id + "'"));
      NettyChannelBuilder builder = NettyChannelBuilder.forAddress(peer.host(),
          peer.clientPort() != 0 ? peer.clientPort() : defaultClientPort);
      if (tls.isPresent()) {
        builder.sslContext(tls.get());
      } else {
        builder.usePlaintext();
      }
      return builder.intercept(MapVersionExchange.hearing(mapView::heardOf)).build();
    });
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
