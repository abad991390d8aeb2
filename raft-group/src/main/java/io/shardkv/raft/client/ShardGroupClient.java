package io.shardkv.raft.client;

import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import java.util.concurrent.CompletableFuture;

/**
 * Submits commands and queries to the Raft group of one shard. Futures fail with
 * {@link ShardUnavailableException} when the group cannot answer in time (no leader, no
 * quorum), and with {@link ShardFailedException} when the group stopped on a store failure.
 */
public interface ShardGroupClient {

  /** Number of shards (groups), fixed for the cluster's life. */
  int shardCount();

  /** Appends {@code command} to shard {@code shard}'s log; completes once applied. */
  CompletableFuture<RaftCommandResult> submit(int shard, RaftCommand command);

  /** Runs a read against shard {@code shard} with the given consistency. */
  CompletableFuture<RaftQueryResult> query(int shard, RaftQuery query, ReadConsistency consistency);
}
