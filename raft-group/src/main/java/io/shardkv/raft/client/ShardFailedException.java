package io.shardkv.raft.client;

/** A shard's replica stopped applying because its store failed (DESIGN invariant 8). */
public class ShardFailedException extends RuntimeException {
  public ShardFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
