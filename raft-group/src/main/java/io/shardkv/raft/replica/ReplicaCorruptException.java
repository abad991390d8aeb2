package io.shardkv.raft.replica;

/** A replica's data no longer matches its own digest (a scrub found it): it serves no reads. */
public final class ReplicaCorruptException extends RuntimeException {
  public ReplicaCorruptException(String message) {
    super(message);
  }
}
