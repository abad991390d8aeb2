package io.shardkv.raft.client;

/** How a read is served. */
public enum ReadConsistency {
  /** Ratis read-index on the leader, then the leader's store: sees every acknowledged write. */
  LINEARIZABLE,
  /** The answering node's local replica, no round trip: may lag behind the leader. */
  STALE
}
