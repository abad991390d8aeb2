package io.shardkv.router;

import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.KeyValuePair;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.api.raft.v1.ScanQuery;
import io.shardkv.api.raft.v1.ScanResult;
import io.shardkv.api.v1.KeyValue;
import io.shardkv.api.v1.ScanResponse;
import io.shardkv.raft.client.ReadConsistency;
import io.shardkv.raft.client.ShardGroupClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One scan page across all shards: the same range query to every shard in parallel, then an
 * ordered merge of the per-shard pages.
 *
 * <p>Why asking each shard for the full {@code limit} is enough: keys are hashed, so the first
 * {@code limit} keys of the range may all sit in one shard; no shard can contribute more than
 * {@code limit}, so the merged first {@code limit} keys are exactly the range's first
 * {@code limit} keys.
 */
final class ScanFanOut {
  // Unsigned lexicographic order, the same as ByteOrder.UNSIGNED (LMDB's memcmp), but compared
  // on the ByteStrings directly so merging does not copy every key.
  private static final Comparator<ByteString> KEY_ORDER = ByteString.unsignedLexicographicalComparator();
  private static final Comparator<KeyValuePair> BY_KEY = (a, b) -> KEY_ORDER.compare(a.getKey(), b.getKey());

  private final ShardGroupClient groups;

  ScanFanOut(ShardGroupClient groups) {
    this.groups = groups;
  }

  /** The first {@code limit >= 1} pairs of {@code [start, end)} (empty end = unbounded). */
  CompletableFuture<ScanResponse> scan(ByteString start, ByteString end, int limit,
      ReadConsistency consistency) {
    if (!end.isEmpty() && KEY_ORDER.compare(start, end) >= 0) {
      // An empty range: answer without a round trip (a store may even reject start > end).
      return CompletableFuture.completedFuture(ScanResponse.getDefaultInstance());
    }
    RaftQuery query = RaftQuery.newBuilder()
        .setScan(ScanQuery.newBuilder().setStart(start).setEnd(end).setLimit(limit)).build();
    List<CompletableFuture<RaftQueryResult>> perShard = new ArrayList<>(groups.shardCount());
    for (int shard = 0; shard < groups.shardCount(); shard++) {
      perShard.add(query(shard, query, consistency));
    }
    return FanOut.all(perShard).thenApply(results -> page(results, limit));
  }

  private CompletableFuture<RaftQueryResult> query(int shard, RaftQuery query, ReadConsistency consistency) {
    try {
      return groups.query(shard, query, consistency);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  static ScanResponse page(List<RaftQueryResult> results, int limit) {
    List<List<KeyValuePair>> pages = new ArrayList<>(results.size());
    boolean anyShardMore = false;
    for (RaftQueryResult r : results) {
      KvRouter.expect(r.getResultCase() == RaftQueryResult.ResultCase.SCAN, "scan", r.getResultCase());
      ScanResult scan = r.getScan();
      pages.add(scan.getKvsList());
      anyShardMore |= scan.getMore();
    }
    OrderedMerge.Result<KeyValuePair> merged = OrderedMerge.merge(pages, BY_KEY, limit);
    ScanResponse.Builder response = ScanResponse.newBuilder();
    for (KeyValuePair kv : merged.items()) {
      response.addKvs(KeyValue.newBuilder().setKey(kv.getKey()).setValue(kv.getValue()));
    }
    // A key of the range beyond the last emitted one exists iff the merge left items over, or a
    // shard has keys after its page. The latter alone suffices too: a shard reporting more
    // returned `limit` keys, so if nothing was left over all emitted keys are its own and its
    // remaining keys lie beyond the last emitted one. Thus next_start is empty exactly when done.
    boolean more = merged.leftover() || anyShardMore;
    if (more) {
      if (merged.items().isEmpty()) {
        throw new IllegalStateException("a shard reported more keys but returned none");
      }
      // The smallest key greater than the last emitted one: same bytes plus one 0x00 byte.
      ByteString last = merged.items().get(merged.items().size() - 1).getKey();
      response.setNextStart(last.concat(ByteString.copyFrom(new byte[] {0})));
    }
    return response.build();
  }
}
