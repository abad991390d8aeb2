package io.shardkv.raft;

/** Where one node's Raft server listens. */
public record PeerAddress(String id, String host, int raftPort) {
  public String raftAddress() {
    return host + ":" + raftPort;
  }
}
