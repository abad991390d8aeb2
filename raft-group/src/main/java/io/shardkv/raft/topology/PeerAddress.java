package io.shardkv.raft.topology;

/**
 * Where one node listens: its Raft server, and its client gRPC port (snapshot transfer and
 * health between nodes; 0 when not known to this part of the code).
 */
public record PeerAddress(String id, String host, int raftPort, int clientPort) {

  /** A node whose client port is not needed here (tests of Raft traffic only). */
  public PeerAddress(String id, String host, int raftPort) {
    this(id, host, raftPort, 0);
  }

  public String raftAddress() {
    return host + ":" + raftPort;
  }
}
