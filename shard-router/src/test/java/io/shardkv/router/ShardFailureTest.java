package io.shardkv.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ScanRequest;
import io.shardkv.raft.client.InMemoryShardGroupClient;
import io.shardkv.raft.client.ReadConsistency;
import io.shardkv.raft.client.ShardFailedException;
import io.shardkv.raft.client.ShardGroupClient;
import io.shardkv.raft.client.ShardUnavailableException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ShardFailureTest {
  private static final int SHARDS = 3;
  private static final int BROKEN = 1;

  /** Delegates to the fake, except that one shard fails (asynchronously, or by throwing). */
  private static final class OneShardFails implements ShardGroupClient {
    private final ShardGroupClient delegate = new InMemoryShardGroupClient(SHARDS);
    private final RuntimeException failure;
    private final boolean throwSynchronously;

    OneShardFails(RuntimeException failure, boolean throwSynchronously) {
      this.failure = failure;
      this.throwSynchronously = throwSynchronously;
    }

    @Override
    public int shardCount() {
      return SHARDS;
    }

    @Override
    public CompletableFuture<RaftCommandResult> submit(int shard, RaftCommand command) {
      return shard == BROKEN ? fail() : delegate.submit(shard, command);
    }

    @Override
    public CompletableFuture<RaftQueryResult> query(int shard, RaftQuery query, ReadConsistency consistency) {
      return shard == BROKEN ? fail() : delegate.query(shard, query, consistency);
    }

    private <T> CompletableFuture<T> fail() {
      if (throwSynchronously) {
        throw failure;
      }
      // Completed later on another thread, as a real group's timeout would be.
      return CompletableFuture.supplyAsync(() -> {
        throw failure;
      }, CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
    }
  }

  private static void assertFailsWith(CompletableFuture<?> future, RuntimeException expected) {
    assertThat(future).failsWithin(5, TimeUnit.SECONDS)
        .withThrowableOfType(ExecutionException.class).havingCause().isSameAs(expected);
    // Callbacks see the shard's exception itself, not a CompletionException around it.
    AtomicReference<Throwable> seen = new AtomicReference<>();
    future.whenComplete((v, e) -> seen.set(e));
    assertThat(seen.get()).isSameAs(expected);
  }

  @Test
  void scanAndDeletePrefix_failWithTheFailingShardsException() {
    var unavailable = new ShardUnavailableException(BROKEN, "no leader", null);
    KvRouter router = new KvRouter(new OneShardFails(unavailable, false), new ShardMap(SHARDS));
    assertFailsWith(router.scan(ScanRequest.getDefaultInstance()), unavailable);
    assertFailsWith(router.scan(ScanRequest.newBuilder().setStale(true).setLimit(5).build()), unavailable);
    assertFailsWith(router.deletePrefix(DeletePrefixRequest.newBuilder()
        .setPrefix(ByteString.copyFromUtf8("p")).build()), unavailable);
  }

  @Test
  void synchronousThrowByTheClient_becomesAFailedFuture() {
    var failed = new ShardFailedException("shard 1 stopped: disk full", null);
    ShardMap map = new ShardMap(SHARDS);
    KvRouter router = new KvRouter(new OneShardFails(failed, true), map);
    assertFailsWith(router.scan(ScanRequest.getDefaultInstance()), failed);
    assertFailsWith(router.deletePrefix(DeletePrefixRequest.newBuilder()
        .setPrefix(ByteString.copyFromUtf8("p")).build()), failed);

    ByteString key = ByteString.copyFrom(TestKeys.inShard(map, BROKEN, 1).get(0));
    assertFailsWith(router.put(PutRequest.newBuilder().setKey(key).build()), failed);
    assertFailsWith(router.get(GetRequest.newBuilder().setKey(key).build()), failed);
    assertFailsWith(router.batch(BatchRequest.newBuilder().addMutations(Mutation.newBuilder()
        .setDelete(Mutation.Delete.newBuilder().setKey(key))).build()), failed);
  }

  @Test
  void singleKeyCallsOnHealthyShards_stillSucceed() throws Exception {
    var unavailable = new ShardUnavailableException(BROKEN, "no quorum", null);
    ShardMap map = new ShardMap(SHARDS);
    KvRouter router = new KvRouter(new OneShardFails(unavailable, false), map);
    ByteString key = ByteString.copyFrom(TestKeys.inShard(map, 0, 1).get(0));
    assertThat(router.put(PutRequest.newBuilder().setKey(key).setValue(key).build()).get(5, TimeUnit.SECONDS)
        .getIndex()).isEqualTo(1);
  }
}
