package io.shardkv.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.raft.client.InMemoryShardGroupClient;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.AppliedIndexReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MinOverShardsReaderTest {

  private static AppliedIndexReader at(long term, long index) {
    return () -> Optional.of(new AppliedIndex(term, index));
  }

  private static final AppliedIndexReader MISSING = Optional::empty;

  @Test
  void invariant7_minimumOverShards_isTheLowestIndexOfPresentShards() {
    var reader = new MinOverShardsReader(List.of(at(3, 17), at(5, 9), at(2, 40)));
    assertThat(reader.appliedIndex()).contains(new AppliedIndex(5, 9));
    assertThat(reader.appliedIndex().orElseThrow().term()).isEqualTo(5); // the min shard's own term
    assertThat(new MinOverShardsReader(List.of(at(1, 0))).appliedIndex()).contains(new AppliedIndex(1, 0));
  }

  @Test
  void invariant7_minimumOverShards_missingIfAnyShardMissing() {
    assertThat(new MinOverShardsReader(List.of(at(1, 10), MISSING, at(1, 20))).appliedIndex()).isEmpty();
    assertThat(new MinOverShardsReader(List.of(MISSING)).appliedIndex()).isEmpty();
    assertThat(new MinOverShardsReader(List.of(at(1, 10), at(1, 5), MISSING)).appliedIndex()).isEmpty();
  }

  @Test
  void invariant7_minimumOverShards_emptyListIsMissing() {
    assertThat(new MinOverShardsReader(List.of()).appliedIndex()).isEmpty();
  }

  @Test
  void invariant7_minimumOverShards_followsShardsAdvancingUnevenly() {
    // Real stores behind the fake group client: each put advances only its own shard's meta.
    InMemoryShardGroupClient groups = new InMemoryShardGroupClient(3);
    ShardMap map = new ShardMap(3);
    KvRouter router = new KvRouter(groups, map);
    List<AppliedIndexReader> stores = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      stores.add(groups.store(s));
    }
    MinOverShardsReader reader = new MinOverShardsReader(stores);
    List<byte[]> keysOf0 = TestKeys.inShard(map, 0, 5);
    List<byte[]> keysOf1 = TestKeys.inShard(map, 1, 1);
    List<byte[]> keysOf2 = TestKeys.inShard(map, 2, 2);

    assertThat(reader.appliedIndex()).as("nothing applied yet").isEmpty();
    for (byte[] k : keysOf0) {
      put(router, k);
    }
    assertThat(reader.appliedIndex()).as("shards 1 and 2 still missing").isEmpty();
    put(router, keysOf2.get(0));
    put(router, keysOf2.get(1));
    assertThat(reader.appliedIndex()).as("shard 1 still missing").isEmpty();
    put(router, keysOf1.get(0));
    assertThat(reader.appliedIndex().orElseThrow().index()).isEqualTo(1); // shard 1 at 1
    put(router, keysOf1.get(0));
    put(router, keysOf1.get(0));
    assertThat(reader.appliedIndex().orElseThrow().index()).isEqualTo(2); // shard 2 now lowest
    put(router, keysOf2.get(0));
    put(router, keysOf2.get(0));
    assertThat(reader.appliedIndex().orElseThrow().index()).isEqualTo(3); // shard 1 at 3 again
  }

  private static void put(KvRouter router, byte[] key) {
    router.put(PutRequest.newBuilder().setKey(ByteString.copyFrom(key))
        .setValue(ByteString.copyFromUtf8("v")).build()).join();
  }
}
