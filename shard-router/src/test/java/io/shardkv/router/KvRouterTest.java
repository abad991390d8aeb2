package io.shardkv.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.BatchResponse;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.CompareAndSetResponse;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.DeleteRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.GetResponse;
import io.shardkv.api.v1.KeyValue;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ScanRequest;
import io.shardkv.api.v1.ScanResponse;
import io.shardkv.raft.client.InMemoryShardGroupClient;
import io.shardkv.store.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class KvRouterTest {
  private static final int SHARDS = 4;

  private final InMemoryShardGroupClient groups = new InMemoryShardGroupClient(SHARDS);
  private final ShardMap map = new ShardMap(SHARDS);
  private final KvRouter router = new KvRouter(groups, map);

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static ByteString bs(byte[] b) {
    return ByteString.copyFrom(b);
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
    return f.get(5, TimeUnit.SECONDS);
  }

  private long put(ByteString key, ByteString value) throws Exception {
    return await(router.put(PutRequest.newBuilder().setKey(key).setValue(value).build())).getIndex();
  }

  private GetResponse get(ByteString key) throws Exception {
    return await(router.get(GetRequest.newBuilder().setKey(key).build()));
  }

  @Test
  void refusesShardCountMismatch() {
    assertThatThrownBy(() -> new KvRouter(groups, new ShardMap(3)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3").hasMessageContaining("4");
  }

  @Test
  void put_get_landsInTheKeysShard_andReportsItsIndex() throws Exception {
    ByteString key = bs("alpha");
    int shard = map.shardOf(key.toByteArray());
    assertThat(put(key, bs("1"))).isEqualTo(1);
    assertThat(put(key, bs("2"))).isEqualTo(2);
    assertThat(groups.store(shard).get(key.toByteArray())).hasValueSatisfying(v -> assertThat(v).isEqualTo("2".getBytes()));
    for (int s = 0; s < SHARDS; s++) {
      if (s != shard) {
        assertThat(groups.store(s).appliedIndex()).as("shard %d untouched", s).isEmpty();
      }
    }
    GetResponse found = get(key);
    assertThat(found.getFound()).isTrue();
    assertThat(found.getValue()).isEqualTo(bs("2"));
    GetResponse stale = await(router.get(GetRequest.newBuilder().setKey(key).setStale(true).build()));
    assertThat(stale.getValue()).isEqualTo(bs("2"));
    assertThat(get(bs("absent")).getFound()).isFalse();
  }

  @Test
  void get_distinguishesEmptyValueFromAbsent() throws Exception {
    put(bs("empty"), ByteString.EMPTY);
    assertThat(get(bs("empty")).getFound()).isTrue();
    assertThat(get(bs("empty")).getValue()).isEmpty();
  }

  @Test
  void delete_reportsExistedAndIndex() throws Exception {
    put(bs("gone"), bs("x"));
    var first = await(router.delete(DeleteRequest.newBuilder().setKey(bs("gone")).build()));
    assertThat(first.getExisted()).isTrue();
    assertThat(first.getIndex()).isEqualTo(2);
    var second = await(router.delete(DeleteRequest.newBuilder().setKey(bs("gone")).build()));
    assertThat(second.getExisted()).isFalse();
    assertThat(get(bs("gone")).getFound()).isFalse();
  }

  @Test
  void batch_withinOneShard_isOneEntryAppliedInOrder() throws Exception {
    List<byte[]> keys = TestKeys.inShard(map, 2, 3);
    put(bs(keys.get(2)), bs("old"));
    BatchRequest request = BatchRequest.newBuilder()
        .addMutations(putMutation(keys.get(0), "a"))
        .addMutations(deleteMutation(keys.get(0)))   // sees the put just before it
        .addMutations(putMutation(keys.get(1), "b"))
        .addMutations(deleteMutation(keys.get(2)))
        .addMutations(deleteMutation(keys.get(2)))
        .build();
    BatchResponse response = await(router.batch(request));
    assertThat(response.getExistedList()).containsExactly(false, true, false, true, false);
    assertThat(response.getIndex()).isEqualTo(2); // one log entry after the single put
    assertThat(groups.store(2).appliedIndex().orElseThrow().index()).isEqualTo(2);
    assertThat(get(bs(keys.get(0))).getFound()).isFalse();
    assertThat(get(bs(keys.get(1))).getValue()).isEqualTo(bs("b"));
    assertThat(get(bs(keys.get(2))).getFound()).isFalse();
  }

  @Test
  void batch_acrossShards_failsNamingTheShards_andWritesNothing() {
    BatchRequest request = BatchRequest.newBuilder()
        .addMutations(putMutation(TestKeys.inShard(map, 2, 1).get(0), "x"))
        .addMutations(putMutation(TestKeys.inShard(map, 0, 1).get(0), "y"))
        .addMutations(deleteMutation(TestKeys.inShard(map, 2, 2).get(1)))
        .build();
    var future = router.batch(request);
    assertThat(future).failsWithin(5, TimeUnit.SECONDS)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(CrossShardBatchException.class,
            e -> assertThat(e.shards()).containsExactly(0, 2))
        .withMessage("batch spans shards [0, 2]; a batch must stay within one shard");
    for (int s = 0; s < SHARDS; s++) {
      assertThat(groups.store(s).appliedIndex()).isEmpty();
    }
  }

  @Test
  void batch_empty_answersWithoutTouchingTheLog() throws Exception {
    BatchResponse response = await(router.batch(BatchRequest.getDefaultInstance()));
    assertThat(response.getExistedList()).isEmpty();
    assertThat(response.getIndex()).isZero();
    for (int s = 0; s < SHARDS; s++) {
      assertThat(groups.store(s).appliedIndex()).isEmpty();
    }
  }

  @Test
  void compareAndSet_expectAbsent_expectedValue_andEmptyExpectedIsNotAbsent() throws Exception {
    ByteString key = bs("cas");
    CompareAndSetResponse create = await(router.compareAndSet(CompareAndSetRequest.newBuilder()
        .setKey(key).setExpectAbsent(true).setValue(bs("v1")).build()));
    assertThat(create.getSucceeded()).isTrue();
    assertThat(create.getCurrentFound()).isTrue();
    assertThat(create.getCurrent()).isEqualTo(bs("v1"));

    CompareAndSetResponse again = await(router.compareAndSet(CompareAndSetRequest.newBuilder()
        .setKey(key).setExpectAbsent(true).setValue(bs("v2")).build()));
    assertThat(again.getSucceeded()).isFalse();
    assertThat(again.getCurrent()).isEqualTo(bs("v1"));

    CompareAndSetResponse wrong = await(router.compareAndSet(CompareAndSetRequest.newBuilder()
        .setKey(key).setExpected(bs("nope")).setValue(bs("v2")).build()));
    assertThat(wrong.getSucceeded()).isFalse();
    assertThat(wrong.getCurrent()).isEqualTo(bs("v1"));

    CompareAndSetResponse swap = await(router.compareAndSet(CompareAndSetRequest.newBuilder()
        .setKey(key).setExpected(bs("v1")).setValue(bs("v2")).build()));
    assertThat(swap.getSucceeded()).isTrue();
    assertThat(get(key).getValue()).isEqualTo(bs("v2"));

    // expected = "" (not expect_absent) must not match an absent key.
    CompareAndSetResponse emptyExpected = await(router.compareAndSet(CompareAndSetRequest.newBuilder()
        .setKey(bs("other")).setValue(bs("x")).build()));
    assertThat(emptyExpected.getSucceeded()).isFalse();
    assertThat(emptyExpected.getCurrentFound()).isFalse();
    assertThat(get(bs("other")).getFound()).isFalse();
  }

  @Test
  void deletePrefix_acrossShards_sumsCounts() throws Exception {
    int[] perShard = new int[SHARDS];
    for (int i = 0; i < 40; i++) {
      ByteString key = bs("p/" + i);
      put(key, bs("v"));
      perShard[map.shardOf(key.toByteArray())]++;
    }
    put(bs("q/keep"), bs("v"));
    put(bs("p"), bs("shorter than the prefix: kept"));
    assertThat(Arrays.stream(perShard).filter(c -> c > 0).count()).as("keys spread").isGreaterThan(1);

    var response = await(router.deletePrefix(DeletePrefixRequest.newBuilder().setPrefix(bs("p/")).build()));
    assertThat(response.getDeleted()).isEqualTo(40);
    for (int s = 0; s < SHARDS; s++) {
      assertThat(groups.store(s).appliedIndex()).as("every shard got the command").isPresent();
    }
    ScanResponse rest = await(router.scan(ScanRequest.getDefaultInstance()));
    assertThat(rest.getKvsList()).extracting(KeyValue::getKey).containsExactly(bs("p"), bs("q/keep"));
    assertThat(await(router.deletePrefix(DeletePrefixRequest.newBuilder().setPrefix(bs("p/")).build()))
        .getDeleted()).isZero();
  }

  @Test
  void scan_mergesShardsInUnsignedOrder_withExactNextStart() throws Exception {
    byte[][] keys = {{0x00}, {0x01}, {0x7F}, {(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xFF, 0x00}, {0x41, 0x41}};
    for (byte[] k : keys) {
      put(bs(k), bs(k));
    }
    ScanResponse first = await(router.scan(ScanRequest.newBuilder().setLimit(3).build()));
    assertThat(first.getKvsList()).extracting(KeyValue::getKey)
        .containsExactly(bs(new byte[] {0x00}), bs(new byte[] {0x01}), bs(new byte[] {0x41, 0x41}));
    assertThat(first.getNextStart()).isEqualTo(bs(new byte[] {0x41, 0x41, 0x00}));

    ScanResponse last = await(router.scan(ScanRequest.newBuilder()
        .setStart(bs(new byte[] {(byte) 0x80})).setLimit(3).build()));
    assertThat(last.getKvsList()).hasSize(3);
    assertThat(last.getNextStart()).as("exactly the rest: no extra empty page").isEmpty();

    ScanResponse bounded = await(router.scan(ScanRequest.newBuilder()
        .setStart(bs(new byte[] {0x01})).setEnd(bs(new byte[] {(byte) 0x80})).build()));
    assertThat(bounded.getKvsList()).extracting(KeyValue::getKey)
        .containsExactly(bs(new byte[] {0x01}), bs(new byte[] {0x41, 0x41}), bs(new byte[] {0x7F}));
    assertThat(bounded.getNextStart()).isEmpty();

    ScanResponse inverted = await(router.scan(ScanRequest.newBuilder()
        .setStart(bs(new byte[] {(byte) 0x80})).setEnd(bs(new byte[] {0x01})).build()));
    assertThat(inverted.getKvsList()).isEmpty();
    assertThat(inverted.getNextStart()).isEmpty();
  }

  @Test
  void scan_limitZeroOrAboveMaximumMeansMaximum() {
    assertThat(KvRouter.effectiveLimit(0)).isEqualTo(KvRouter.MAX_SCAN_LIMIT);
    assertThat(KvRouter.effectiveLimit(KvRouter.MAX_SCAN_LIMIT + 1)).isEqualTo(KvRouter.MAX_SCAN_LIMIT);
    assertThat(KvRouter.effectiveLimit(-1)).isEqualTo(KvRouter.MAX_SCAN_LIMIT); // uint32 > 2^31
    assertThat(KvRouter.effectiveLimit(7)).isEqualTo(7);
  }

  @Test
  void scan_randomized_pagingReturnsExactlyTheTreeMapRange() throws Exception {
    Random random = new Random(20240611);
    NavigableMap<byte[], byte[]> model = new TreeMap<>(ByteOrder.UNSIGNED);
    for (int i = 0; i < 400; i++) {
      byte[] key = RandomKeys.key(random);
      byte[] value = new byte[random.nextInt(3)];
      random.nextBytes(value);
      model.put(key, value);
      put(bs(key), bs(value));
    }
    for (int trial = 0; trial < 300; trial++) {
      byte[] start = RandomKeys.bound(random);
      byte[] end = RandomKeys.bound(random);
      int limit = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(25);
      boolean stale = random.nextBoolean();
      NavigableMap<byte[], byte[]> range = end.length == 0 ? model.tailMap(start, true)
          : ByteOrder.UNSIGNED.compare(start, end) >= 0 ? new TreeMap<>()
          : model.subMap(start, true, end, false);

      List<Map.Entry<byte[], byte[]>> got = new ArrayList<>();
      ByteString cursor = bs(start);
      for (int pages = 0; ; pages++) {
        assertThat(pages).as("trial %d terminates", trial).isLessThan(1000);
        ScanResponse page = await(router.scan(ScanRequest.newBuilder()
            .setStart(cursor).setEnd(bs(end)).setLimit(limit).setStale(stale).build()));
        int effective = limit == 0 ? KvRouter.MAX_SCAN_LIMIT : limit;
        assertThat(page.getKvsCount()).as("trial %d page size", trial).isLessThanOrEqualTo(effective);
        page.getKvsList().forEach(kv -> got.add(Map.entry(kv.getKey().toByteArray(), kv.getValue().toByteArray())));
        if (page.getNextStart().isEmpty()) {
          break;
        }
        // next_start is only set when more keys exist: a continuation page is never empty.
        assertThat(page.getKvsCount()).as("trial %d full page before continuation", trial).isEqualTo(effective);
        cursor = page.getNextStart();
        ScanResponse peek = await(router.scan(ScanRequest.newBuilder()
            .setStart(cursor).setEnd(bs(end)).setLimit(1).build()));
        assertThat(peek.getKvsList()).as("trial %d: next_start set but nothing left", trial).isNotEmpty();
      }
      assertThat(got).as("trial %d [%s, %s) limit %d", trial, Arrays.toString(start), Arrays.toString(end), limit)
          .hasSameSizeAs(range.entrySet());
      int i = 0;
      for (Map.Entry<byte[], byte[]> expected : range.entrySet()) {
        assertThat(got.get(i).getKey()).as("trial %d key %d", trial, i).isEqualTo(expected.getKey());
        assertThat(got.get(i).getValue()).as("trial %d value %d", trial, i).isEqualTo(expected.getValue());
        i++;
      }
    }
  }

  private static Mutation putMutation(byte[] key, String value) {
    return Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(bs(key)).setValue(bs(value))).build();
  }

  private static Mutation deleteMutation(byte[] key) {
    return Mutation.newBuilder().setDelete(Mutation.Delete.newBuilder().setKey(bs(key))).build();
  }
}
