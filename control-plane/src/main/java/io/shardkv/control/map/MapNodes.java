package io.shardkv.control.map;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.raft.topology.PeerAddress;
import java.util.List;

/** The one place a node's address converts to and from its cluster-map entry. */
public final class MapNodes {
  private MapNodes() {}

  /** The address a cluster-map entry records. */
  public static PeerAddress address(MapNode node) {
    return new PeerAddress(node.getId(), node.getHost(), node.getRaftPort(), node.getClientPort());
  }

  /** The addresses of every node of {@code map}, in map order. */
  public static List<PeerAddress> addresses(ClusterMap map) {
    return map.getNodesList().stream().map(MapNodes::address).toList();
  }

  /** A node as a cluster-map entry (its state is the map's to set). */
  public static MapNode entry(PeerAddress address) {
    return MapNode.newBuilder().setId(address.id()).setHost(address.host()).setRaftPort(address.raftPort())
        .setClientPort(address.clientPort()).build();
  }
}
