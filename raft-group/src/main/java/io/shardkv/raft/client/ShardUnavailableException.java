package io.shardkv.raft.client;

/** A shard's group could not serve a request in time: no leader or no quorum. Retryable. */
public class ShardUnavailableException extends RuntimeException {
  private final int shard;

  public ShardUnavailableException(int shard, String message, Throwable cause) {
    super("shard " + shard + ": " + message, cause);
    this.shard = shard;
  }

  public int shard() {
    return shard;
  }
}
