package io.shardkv.bench;

import com.google.protobuf.ByteString;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.Mutation;
import io.shardkv.router.ShardMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Puts grouped by shard (found with the router's own {@link ShardMap}) and sent as one Batch
 * request per shard once {@code perBatch} are waiting, so one Raft entry carries many values.
 * One loading thread per instance.
 */
final class ShardBatches {
  private final KVGrpc.KVBlockingStub kv;
  private final ShardMap shards;
  private final int perBatch;
  private final List<List<Mutation>> buckets = new ArrayList<>();

  ShardBatches(KVGrpc.KVBlockingStub kv, int shardCount, int perBatch) {
    this.kv = kv;
    this.shards = new ShardMap(shardCount);
    this.perBatch = perBatch;
    for (int s = 0; s < shardCount; s++) {
      buckets.add(new ArrayList<>());
    }
  }

  /** Adds a put; returns how many puts were sent by this call (0, or a full batch). */
  int put(byte[] key, ByteString value) {
    List<Mutation> bucket = buckets.get(shards.shardOf(key));
    bucket.add(Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(ByteString.copyFrom(key)).setValue(value)).build());
    return bucket.size() == perBatch ? send(bucket) : 0;
  }

  /** Sends every partly filled batch. */
  void flush() {
    buckets.forEach(this::send);
  }

  private int send(List<Mutation> bucket) {
    int n = bucket.size();
    if (n > 0) {
      kv.withDeadlineAfter(60, TimeUnit.SECONDS).batch(BatchRequest.newBuilder().addAllMutations(bucket).build());
      bucket.clear();
    }
    return n;
  }
}
