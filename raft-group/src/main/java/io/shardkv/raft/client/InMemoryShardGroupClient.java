package io.shardkv.raft.client;

import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.raft.command.ShardCommandExecutor;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.InMemoryShardStore;
import io.shardkv.store.ShardStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The fake beside {@link ShardGroupClient}: one in-memory store per shard, each command applied
 * at the next index of a per-shard counter, as a single-replica group would. For tests of the
 * router and the service.
 */
public final class InMemoryShardGroupClient implements ShardGroupClient {
  private final List<ShardStore> stores = new ArrayList<>();
  private final long[] nextIndex;
  private final ShardCommandExecutor executor = new ShardCommandExecutor();

  public InMemoryShardGroupClient(int shards) {
    nextIndex = new long[shards];
    for (int i = 0; i < shards; i++) {
      stores.add(new InMemoryShardStore());
      nextIndex[i] = 1;
    }
  }

  /** The store of {@code shard}, for assertions. */
  public ShardStore store(int shard) {
    return stores.get(shard);
  }

  @Override
  public int shardCount() {
    return stores.size();
  }

  @Override
  public synchronized CompletableFuture<RaftCommandResult> submit(int shard, RaftCommand command) {
    try {
      AppliedIndex at = new AppliedIndex(1, nextIndex[shard]++);
      return CompletableFuture.completedFuture(executor.execute(stores.get(shard), command, at));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<RaftQueryResult> query(int shard, RaftQuery query, ReadConsistency consistency) {
    try {
      return CompletableFuture.completedFuture(executor.query(stores.get(shard), query));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
