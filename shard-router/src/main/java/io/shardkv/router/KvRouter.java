package io.shardkv.router;

import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.CompareAndSetCommand;
import io.shardkv.api.raft.v1.CompareAndSetResult;
import io.shardkv.api.raft.v1.DeletePrefixCommand;
import io.shardkv.api.raft.v1.GetQuery;
import io.shardkv.api.raft.v1.MutationList;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.api.raft.v1.StoreMutation;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.BatchResponse;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.CompareAndSetResponse;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.DeletePrefixResponse;
import io.shardkv.api.v1.DeleteRequest;
import io.shardkv.api.v1.DeleteResponse;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.GetResponse;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.PutResponse;
import io.shardkv.api.v1.ScanRequest;
import io.shardkv.api.v1.ScanResponse;
import io.shardkv.raft.client.ReadConsistency;
import io.shardkv.raft.client.ShardGroupClient;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Turns public KV calls into Raft commands and queries on the right shard(s).
 *
 * <p>Single-key calls go to {@link ShardMap#shardOf}'s shard. A batch must stay within one shard
 * (it is atomic because it is one log entry). Scan and delete-prefix cannot know which shards
 * hold matching keys (keys are hashed, not range-partitioned), so they fan out to every shard in
 * parallel.
 *
 * <p>Every method returns a future and never throws: a failure, including one raised while
 * building the request, fails the future. Failures carry the original exception (e.g.
 * {@code ShardUnavailableException}, {@code ShardFailedException},
 * {@link CrossShardBatchException}), not a {@code CompletionException} wrapper. Nothing blocks:
 * results are composed from the group client's futures, so it is safe to call from gRPC threads.
 *
 * <p>Input validation (empty keys, size limits) is the service edge's job (invariant 9); the
 * router assumes valid input.
 */
public final class KvRouter {
  /** Largest scan page; a request limit of 0 (or above this) means this many. */
  public static final int MAX_SCAN_LIMIT = 10_000;

  private final ShardGroupClient groups;
  private final ShardMap shardMap;
  private final ScanFanOut scanFanOut;

  /**
   * A router over {@code groups}, placing keys with {@code shardMap}. Both must agree on the
   * shard count: a mismatch would send keys to the wrong group, so it is refused here.
   */
  public KvRouter(ShardGroupClient groups, ShardMap shardMap) {
    if (groups.shardCount() != shardMap.shardCount()) {
      throw new IllegalArgumentException("shard map has " + shardMap.shardCount()
          + " shards but the group client has " + groups.shardCount());
    }
    this.groups = groups;
    this.shardMap = shardMap;
    this.scanFanOut = new ScanFanOut(groups);
  }

  /** Writes one key; the response carries the index of the log entry in the key's shard. */
  public CompletableFuture<PutResponse> put(PutRequest request) {
    return guarded(() -> {
      StoreMutation m = StoreMutation.newBuilder()
          .setKey(request.getKey()).setValue(request.getValue()).build();
      return submitMutations(shardOf(request.getKey()), List.of(m))
          .thenApply(r -> PutResponse.newBuilder().setIndex(r.getIndex()).build());
    });
  }

  /** Reads one key; {@code stale} reads the local replica ({@link ReadConsistency#STALE}). */
  public CompletableFuture<GetResponse> get(GetRequest request) {
    return guarded(() -> {
      RaftQuery query = RaftQuery.newBuilder()
          .setGet(GetQuery.newBuilder().setKey(request.getKey())).build();
      return groups.query(shardOf(request.getKey()), query, consistency(request.getStale()))
          .thenApply(r -> {
            expect(r.getResultCase() == RaftQueryResult.ResultCase.GET, "get", r.getResultCase());
            GetResponse.Builder b = GetResponse.newBuilder().setFound(r.getGet().hasValue());
            if (r.getGet().hasValue()) {
              b.setValue(r.getGet().getValue());
            }
            return b.build();
          });
    });
  }

  /** Removes one key (a mutation without value); reports whether it existed. */
  public CompletableFuture<DeleteResponse> delete(DeleteRequest request) {
    return guarded(() -> {
      StoreMutation m = StoreMutation.newBuilder().setKey(request.getKey()).build();
      return submitMutations(shardOf(request.getKey()), List.of(m))
          .thenApply(r -> DeleteResponse.newBuilder()
              .setExisted(r.getMutations().getExisted(0)).setIndex(r.getIndex()).build());
    });
  }

  /**
   * Applies all mutations atomically as one log entry of one shard, in request order. Fails with
   * {@link CrossShardBatchException} naming the shards if the keys span several. An empty batch
   * touches no log and answers an empty response with index 0.
   */
  public CompletableFuture<BatchResponse> batch(BatchRequest request) {
    return guarded(() -> {
      if (request.getMutationsCount() == 0) {
        return CompletableFuture.completedFuture(BatchResponse.getDefaultInstance());
      }
      List<StoreMutation> mutations = new ArrayList<>(request.getMutationsCount());
      SortedSet<Integer> shards = new TreeSet<>();
      for (Mutation m : request.getMutationsList()) {
        StoreMutation sm = toStoreMutation(m);
        mutations.add(sm);
        shards.add(shardOf(sm.getKey()));
      }
      if (shards.size() > 1) {
        return CompletableFuture.failedFuture(new CrossShardBatchException(shards));
      }
      return submitMutations(shards.first(), mutations)
          .thenApply(r -> BatchResponse.newBuilder()
              .addAllExisted(r.getMutations().getExistedList()).setIndex(r.getIndex()).build());
    });
  }

  /**
   * Returns keys in {@code [start, end)} in unsigned byte order across all shards, at most
   * {@code limit} (0 or above {@link #MAX_SCAN_LIMIT} means {@link #MAX_SCAN_LIMIT}). Not a
   * snapshot across shards: each shard is read at its own moment.
   */
  public CompletableFuture<ScanResponse> scan(ScanRequest request) {
    return guarded(() -> scanFanOut.scan(request.getStart(), request.getEnd(),
        effectiveLimit(request.getLimit()), consistency(request.getStale())));
  }

  /**
   * Removes every key starting with the prefix on every shard, in parallel, and sums the counts.
   * Not atomic across shards: if one shard fails, the future fails with that shard's exception
   * while the other shards may already have deleted their keys (retrying is safe: idempotent).
   */
  public CompletableFuture<DeletePrefixResponse> deletePrefix(DeletePrefixRequest request) {
    return guarded(() -> {
      RaftCommand command = RaftCommand.newBuilder()
          .setDeletePrefix(DeletePrefixCommand.newBuilder().setPrefix(request.getPrefix())).build();
      List<CompletableFuture<RaftCommandResult>> perShard = new ArrayList<>(shardMap.shardCount());
      for (int shard = 0; shard < shardMap.shardCount(); shard++) {
        perShard.add(submit(shard, command));
      }
      return FanOut.all(perShard).thenApply(results -> {
        long deleted = 0;
        for (RaftCommandResult r : results) {
          expect(r.getResultCase() == RaftCommandResult.ResultCase.DELETE_PREFIX,
              "delete-prefix", r.getResultCase());
          deleted += r.getDeletePrefix().getDeleted();
        }
        return DeletePrefixResponse.newBuilder().setDeleted(deleted).build();
      });
    });
  }

  /**
   * Sets the key only if its value equals {@code expected}, or it is absent when
   * {@code expect_absent}; evaluated in the shard's log order.
   */
  public CompletableFuture<CompareAndSetResponse> compareAndSet(CompareAndSetRequest request) {
    return guarded(() -> {
      CompareAndSetCommand.Builder cas = CompareAndSetCommand.newBuilder()
          .setKey(request.getKey()).setValue(request.getValue());
      if (!request.getExpectAbsent()) {
        // Set even when empty: "expected = empty value" differs from "expected absent".
        cas.setExpected(request.getExpected());
      }
      RaftCommand command = RaftCommand.newBuilder().setCompareAndSet(cas).build();
      return submit(shardOf(request.getKey()), command).thenApply(r -> {
        expect(r.getResultCase() == RaftCommandResult.ResultCase.COMPARE_AND_SET,
            "compare-and-set", r.getResultCase());
        CompareAndSetResult result = r.getCompareAndSet();
        CompareAndSetResponse.Builder b = CompareAndSetResponse.newBuilder()
            .setSucceeded(result.getSucceeded()).setCurrentFound(result.hasCurrent());
        if (result.hasCurrent()) {
          b.setCurrent(result.getCurrent());
        }
        return b.build();
      });
    });
  }

  private int shardOf(ByteString key) {
    return shardMap.shardOf(key.toByteArray());
  }

  private CompletableFuture<RaftCommandResult> submitMutations(int shard, List<StoreMutation> mutations) {
    RaftCommand command = RaftCommand.newBuilder()
        .setMutations(MutationList.newBuilder().addAllMutations(mutations)).build();
    return submit(shard, command).thenApply(r -> {
      expect(r.getResultCase() == RaftCommandResult.ResultCase.MUTATIONS
          && r.getMutations().getExistedCount() == mutations.size(), "mutations", r.getResultCase());
      return r;
    });
  }

  /** Submits, turning a synchronous throw of the client into a failed future. */
  private CompletableFuture<RaftCommandResult> submit(int shard, RaftCommand command) {
    try {
      return groups.submit(shard, command);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static StoreMutation toStoreMutation(Mutation m) {
    switch (m.getKindCase()) {
      case PUT:
        return StoreMutation.newBuilder().setKey(m.getPut().getKey()).setValue(m.getPut().getValue()).build();
      case DELETE:
        return StoreMutation.newBuilder().setKey(m.getDelete().getKey()).build();
      default:
        throw new IllegalArgumentException("mutation has neither put nor delete");
    }
  }

  static int effectiveLimit(int requested) {
    // uint32 arrives as a Java int: a value above 2^31 reads negative and means "a lot" too.
    return requested <= 0 || requested > MAX_SCAN_LIMIT ? MAX_SCAN_LIMIT : requested;
  }

  private static ReadConsistency consistency(boolean stale) {
    return stale ? ReadConsistency.STALE : ReadConsistency.LINEARIZABLE;
  }

  /** A reply of the wrong shape is a bug between router and state machine: fail loudly. */
  static void expect(boolean ok, String what, Object actualCase) {
    if (!ok) {
      throw new IllegalStateException("unexpected reply to " + what + ": " + actualCase);
    }
  }

  /**
   * Runs {@code body}, so that nothing it throws escapes synchronously, and strips
   * {@code CompletionException} so callers see the original failure.
   */
  private static <T> CompletableFuture<T> guarded(Supplier<CompletableFuture<T>> body) {
    try {
      return FanOut.unwrapped(body.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
