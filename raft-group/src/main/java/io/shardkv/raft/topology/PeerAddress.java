package io.shardkv.raft.topology;

import io.shardkv.api.internal.v1.MapNode;

/**
 * Where one node listens: its Raft server, and its client gRPC port (snapshot transfer and
 * health between nodes; 0 when not known to this part of the code).
 */
public record PeerAddress(String id, String host, int raftPort, int clientPort) {

  /** A node whose client port is not needed here (tests of Raft traffic only). */
  public PeerAddress(String id, String host, int raftPort) {
    this(id, host, raftPort, 0);
  }

  /** The address a cluster-map entry records. */
  public static PeerAddress of(MapNode node) {
    return new PeerAddress(node.getId(), node.getHost(), node.getRaftPort(), node.getClientPort());
  }

  public String raftAddress() {
    return host + ":" + raftPort;
  }

  /** This node as a cluster-map entry (its state is the map's to set). */
  public MapNode toMapNode() {
    return MapNode.newBuilder().setId(id).setHost(host).setRaftPort(raftPort).setClientPort(clientPort).build();
  }
}
