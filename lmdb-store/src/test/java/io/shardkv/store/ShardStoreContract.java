package io.shardkv.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Semantics every {@link ShardStore} must share: run against the LMDB store and the fake. */
abstract class ShardStoreContract {
  protected ShardStore store;
  private long nextIndex = 1;

  abstract ShardStore newStore() throws Exception;

  /** A second, empty store of the same kind (the current one is closed first). */
  abstract ShardStore newFreshStore() throws Exception;

  @BeforeEach
  void open() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  List<OpResult> apply(StoreOp... ops) {
    ApplyOutcome outcome = store.apply(List.of(ops), new AppliedIndex(1, nextIndex++));
    assertThat(outcome.applied()).isTrue();
    return outcome.results();
  }

  @Test
  void putGetDeleteReportExistence() {
    assertThat(apply(new StoreOp.Put(b("k"), b("v")))).containsExactly(new OpResult.Written());
    assertThat(store.get(b("k"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(b("v")));
    assertThat(apply(new StoreOp.Delete(b("k")))).containsExactly(new OpResult.Deleted(true));
    assertThat(apply(new StoreOp.Delete(b("k")))).containsExactly(new OpResult.Deleted(false));
    assertThat(store.get(b("k"))).isEmpty();
  }

  @Test
  void opsOfOneEntrySeeEarlierOps() {
    List<OpResult> results = apply(new StoreOp.Put(b("a"), b("1")), new StoreOp.Delete(b("a")),
        new StoreOp.CompareAndSet(b("a"), null, b("2")));
    assertThat(results.get(1)).isEqualTo(new OpResult.Deleted(true));
    assertThat(((OpResult.CompareAndSetOutcome) results.get(2)).succeeded()).isTrue();
    assertThat(store.get(b("a"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(b("2")));
  }

  @Test
  void compareAndSetMatchesExpectedOrAbsence() {
    var absentOk = (OpResult.CompareAndSetOutcome) apply(new StoreOp.CompareAndSet(b("k"), null, b("v1"))).get(0);
    assertThat(absentOk.succeeded()).isTrue();
    var absentFails = (OpResult.CompareAndSetOutcome) apply(new StoreOp.CompareAndSet(b("k"), null, b("x"))).get(0);
    assertThat(absentFails.succeeded()).isFalse();
    assertThat(absentFails.current()).isEqualTo(b("v1"));
    var mismatch = (OpResult.CompareAndSetOutcome) apply(new StoreOp.CompareAndSet(b("k"), b("nope"), b("x"))).get(0);
    assertThat(mismatch.succeeded()).isFalse();
    assertThat(mismatch.current()).isEqualTo(b("v1"));
    var match = (OpResult.CompareAndSetOutcome) apply(new StoreOp.CompareAndSet(b("k"), b("v1"), b("v2"))).get(0);
    assertThat(match.succeeded()).isTrue();
    assertThat(match.current()).isEqualTo(b("v2"));
    var missingKey = (OpResult.CompareAndSetOutcome) apply(new StoreOp.CompareAndSet(b("other"), b("v"), b("x"))).get(0);
    assertThat(missingKey.succeeded()).isFalse();
    assertThat(missingKey.current()).isNull();
  }

  @Test
  void deletePrefixRemovesExactlyThePrefixedKeys() {
    apply(new StoreOp.Put(b("app"), b("1")), new StoreOp.Put(b("apple"), b("2")),
        new StoreOp.Put(b("apq"), b("3")), new StoreOp.Put(b("ap"), b("4")),
        new StoreOp.Put(bytes(0x61, 0x70, 0x70, 0xFF), b("5")), new StoreOp.Put(bytes(0x61, 0x70, 0x71), b("6")));
    assertThat(apply(new StoreOp.DeletePrefix(b("app")))).containsExactly(new OpResult.PrefixDeleted(3));
    assertThat(store.get(b("ap"))).isPresent();
    assertThat(store.get(b("apq"))).isPresent();
    assertThat(apply(new StoreOp.DeletePrefix(b("zzz")))).containsExactly(new OpResult.PrefixDeleted(0));
    apply(new StoreOp.Put(bytes(0xFF, 0xFF), b("x")), new StoreOp.Put(bytes(0xFF, 0xFF, 0x00), b("y")));
    assertThat(apply(new StoreOp.DeletePrefix(bytes(0xFF, 0xFF)))).containsExactly(new OpResult.PrefixDeleted(2));
  }

  @Test
  void scanUsesUnsignedByteOrderAndReportsMore() {
    apply(new StoreOp.Put(bytes(0x80), b("hi")), new StoreOp.Put(bytes(0x7F), b("lo")),
        new StoreOp.Put(bytes(0x00), b("zero")), new StoreOp.Put(bytes(0xFF, 0x01), b("top")));
    ScanPage all = store.scan(new byte[0], new byte[0], 10);
    assertThat(all.kvs()).extracting(KeyValue::key)
        .containsExactly(bytes(0x00), bytes(0x7F), bytes(0x80), bytes(0xFF, 0x01));
    assertThat(all.more()).isFalse();

    ScanPage limited = store.scan(bytes(0x01), new byte[0], 2);
    assertThat(limited.kvs()).extracting(KeyValue::key).containsExactly(bytes(0x7F), bytes(0x80));
    assertThat(limited.more()).isTrue();

    ScanPage bounded = store.scan(bytes(0x7F), bytes(0xFF, 0x01), 10);
    assertThat(bounded.kvs()).extracting(KeyValue::key).containsExactly(bytes(0x7F), bytes(0x80));
    assertThat(bounded.more()).isFalse();

    ScanPage toEnd = store.scan(new byte[0], bytes(0x80), 10);
    assertThat(toEnd.kvs()).extracting(KeyValue::key).containsExactly(bytes(0x00), bytes(0x7F));
  }

  @Test
  void randomizedAgainstASortedMap() {
    Random random = new Random(42);
    TreeMap<byte[], byte[]> model = new TreeMap<>(ByteOrder.UNSIGNED);
    for (int i = 0; i < 400; i++) {
      byte[] key = new byte[1 + random.nextInt(3)];
      random.nextBytes(key);
      byte[] value = new byte[random.nextInt(8)];
      random.nextBytes(value);
      if (random.nextInt(4) == 0) {
        boolean existed = model.remove(key) != null;
        assertThat(apply(new StoreOp.Delete(key))).containsExactly(new OpResult.Deleted(existed));
      } else {
        model.put(key, value);
        apply(new StoreOp.Put(key, value));
      }
    }
    ScanPage page = store.scan(new byte[0], new byte[0], 10_000);
    assertThat(page.kvs()).extracting(KeyValue::key).containsExactlyElementsOf(model.keySet());
    assertThat(page.kvs()).extracting(KeyValue::value).containsExactlyElementsOf(model.values());
  }

  @Test
  void invariant2_everyAppliedEntryAdvancesMeta_entryWithoutData() {
    apply(new StoreOp.Put(b("k"), b("v")));
    ApplyOutcome noData = store.apply(List.of(), new AppliedIndex(3, 7));
    assertThat(noData.applied()).isTrue();
    assertThat(store.appliedIndex()).contains(new AppliedIndex(3, 7));
  }

  @Test
  void invariant3_monotonic_lowerOrEqualIndexLeavesDataAndMetaUnchanged() {
    store.apply(List.of(new StoreOp.Put(b("k"), b("new"))), new AppliedIndex(2, 10));
    assertThat(store.apply(List.of(new StoreOp.Put(b("k"), b("old"))), new AppliedIndex(2, 10)))
        .isEqualTo(ApplyOutcome.alreadyApplied());
    assertThat(store.apply(List.of(new StoreOp.Delete(b("k"))), new AppliedIndex(1, 4)))
        .isEqualTo(ApplyOutcome.alreadyApplied());
    assertThat(store.apply(List.of(), new AppliedIndex(1, 9))).isEqualTo(ApplyOutcome.alreadyApplied());
    assertThat(store.get(b("k"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(b("new")));
    assertThat(store.appliedIndex()).contains(new AppliedIndex(2, 10));
  }

  @Test
  void groupCommitAppliesEntriesInOrderWithOneOutcomeEach() {
    List<ApplyOutcome> outcomes = store.applyBatch(List.of(
        new LogEntryOps(new AppliedIndex(1, 1), List.of(new StoreOp.Put(b("k"), b("v1")))),
        new LogEntryOps(new AppliedIndex(1, 2), List.of()),
        new LogEntryOps(new AppliedIndex(1, 3), List.of(new StoreOp.CompareAndSet(b("k"), b("v1"), b("v2")))),
        new LogEntryOps(new AppliedIndex(2, 4), List.of(new StoreOp.Delete(b("k")), new StoreOp.Delete(b("k"))))));

    assertThat(outcomes).hasSize(4).allMatch(ApplyOutcome::applied);
    assertThat(((OpResult.CompareAndSetOutcome) outcomes.get(2).results().get(0)).succeeded())
        .as("the CAS saw the put of the entry before it").isTrue();
    assertThat(outcomes.get(3).results()).containsExactly(new OpResult.Deleted(true), new OpResult.Deleted(false));
    assertThat(store.get(b("k"))).isEmpty();
    assertThat(store.appliedIndex()).contains(new AppliedIndex(2, 4));
  }

  @Test
  void invariant3_monotonic_groupCommitSkipsTheEntriesAtOrBelowTheMeta() {
    store.apply(List.of(new StoreOp.Put(b("k"), b("applied"))), new AppliedIndex(1, 5));
    List<ApplyOutcome> outcomes = store.applyBatch(List.of(
        new LogEntryOps(new AppliedIndex(1, 4), List.of(new StoreOp.Put(b("k"), b("replayed")))),
        new LogEntryOps(new AppliedIndex(1, 5), List.of(new StoreOp.Put(b("k"), b("replayed")))),
        new LogEntryOps(new AppliedIndex(1, 6), List.of(new StoreOp.Put(b("j"), b("new"))))));

    assertThat(outcomes).extracting(ApplyOutcome::applied).containsExactly(false, false, true);
    assertThat(store.get(b("k"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(b("applied")));
    assertThat(store.get(b("j"))).isPresent();
    assertThat(store.appliedIndex()).contains(new AppliedIndex(1, 6));

    assertThat(store.applyBatch(List.of(new LogEntryOps(new AppliedIndex(1, 6), List.of()))))
        .containsExactly(ApplyOutcome.alreadyApplied());
    assertThat(store.appliedIndex()).contains(new AppliedIndex(1, 6));
  }

  /** The digest recomputed from a full scan: what the stored digest must always equal. */
  static ReplicaDigest scanDigest(ShardStore s) {
    ReplicaDigest d = ReplicaDigest.EMPTY;
    for (KeyValue kv : s.scan(new byte[0], new byte[0], Integer.MAX_VALUE).kvs()) {
      d = d.plus(PairHash.of(kv.key(), kv.value()));
    }
    return d;
  }

  @Test
  void invariant10_replicaDigest_followsEveryKindOfWriteAndEqualsAFullScan() {
    assertThat(store.digest().digest()).isEqualTo(ReplicaDigest.EMPTY);
    apply(new StoreOp.Put(b("p/1"), b("a")), new StoreOp.Put(b("p/2"), b("b")), new StoreOp.Put(b("q"), b("c")));
    assertThat(store.digest().digest()).isEqualTo(scanDigest(store)).extracting(ReplicaDigest::pairs).isEqualTo(3L);
    apply(new StoreOp.Put(b("q"), b("overwritten")));
    assertThat(store.digest().digest()).isEqualTo(scanDigest(store));
    apply(new StoreOp.CompareAndSet(b("q"), b("overwritten"), b("swapped")),
        new StoreOp.CompareAndSet(b("q"), b("wrong"), b("ignored")), new StoreOp.CompareAndSet(b("n"), null, b("new")));
    assertThat(store.digest().digest()).isEqualTo(scanDigest(store));
    apply(new StoreOp.DeletePrefix(b("p/")), new StoreOp.Delete(b("absent")));
    assertThat(store.digest().digest()).isEqualTo(scanDigest(store)).extracting(ReplicaDigest::pairs).isEqualTo(2L);
    apply(new StoreOp.Delete(b("q")), new StoreOp.Delete(b("n")));
    assertThat(store.digest().digest()).as("back to no data").isEqualTo(ReplicaDigest.EMPTY);
  }

  @Test
  void invariant10_replicaDigest_isIndependentOfTheOrderTheDataArrivedIn() throws Exception {
    apply(new StoreOp.Put(b("a"), b("1")), new StoreOp.Put(b("b"), b("old")), new StoreOp.Put(b("c"), b("3")));
    apply(new StoreOp.Put(b("b"), b("2")));
    apply(new StoreOp.Delete(b("c")));
    ReplicaDigest oneWay = store.digest().digest();

    store.close();
    store = newFreshStore();
    store.apply(List.of(new StoreOp.Put(b("b"), b("2"))), new AppliedIndex(1, 1));
    store.apply(List.of(new StoreOp.Put(b("a"), b("1"))), new AppliedIndex(1, 2));
    assertThat(store.digest().digest()).isEqualTo(oneWay);
    assertThat(store.digest().at()).contains(new AppliedIndex(1, 2));

    store.apply(List.of(new StoreOp.Put(b("a"), b("x"))), new AppliedIndex(1, 3));
    assertThat(store.digest().digest()).as("a different value, a different digest").isNotEqualTo(oneWay);
  }

  @Test
  void invariant10_replicaDigest_eachAppliedEntryOfAGroupCommitCarriesTheDigestAfterIt() {
    List<ApplyOutcome> outcomes = store.applyBatch(List.of(
        new LogEntryOps(new AppliedIndex(1, 1), List.of(new StoreOp.Put(b("a"), b("1")))),
        new LogEntryOps(new AppliedIndex(1, 2), List.of()),
        new LogEntryOps(new AppliedIndex(1, 3), List.of(new StoreOp.Put(b("b"), b("2"))))));
    ReplicaDigest afterA = ReplicaDigest.EMPTY.plus(PairHash.of(b("a"), b("1")));
    assertThat(outcomes.get(0).digestAfter()).contains(afterA);
    assertThat(outcomes.get(1).digestAfter()).contains(afterA);
    assertThat(outcomes.get(2).digestAfter()).contains(afterA.plus(PairHash.of(b("b"), b("2"))));
    assertThat(store.applyBatch(List.of(new LogEntryOps(new AppliedIndex(1, 3), List.of()))).get(0).digestAfter())
        .as("a replayed entry applies nothing and reports no digest").isEmpty();
  }
}
