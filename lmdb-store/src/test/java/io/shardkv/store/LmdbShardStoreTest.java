package io.shardkv.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LmdbShardStoreTest extends ShardStoreContract {
  @TempDir Path dir;

  @Override
  ShardStore newStore() throws Exception {
    return LmdbShardStore.open(dir.resolve("store"), LmdbStoreConfig.defaults());
  }

  private int fresh;

  @Override
  ShardStore newFreshStore() throws Exception {
    return LmdbShardStore.open(dir.resolve("fresh" + (++fresh)), LmdbStoreConfig.defaults());
  }

  private LmdbShardStore lmdb() {
    return (LmdbShardStore) store;
  }

  private LmdbShardStore reopen(LmdbStoreConfig config) throws Exception {
    store.close();
    store = LmdbShardStore.open(dir.resolve("store"), config);
    return lmdb();
  }

  @Test
  void invariant1_oneTransaction_failureBeforeCommitLeavesNeitherDataNorMeta() throws Exception {
    store.apply(List.of(new StoreOp.Put(b("a"), b("1"))), new AppliedIndex(1, 1));
    lmdb().beforeCommitForTest(() -> {
      throw new IllegalStateException("crash between data and commit");
    });

    assertThatThrownBy(() -> store.apply(
        List.of(new StoreOp.Put(b("a"), b("2")), new StoreOp.Put(b("b"), b("x"))), new AppliedIndex(1, 2)))
        .hasMessageContaining("crash between data and commit");

    lmdb().beforeCommitForTest(() -> {});
    reopen(LmdbStoreConfig.defaults());
    assertThat(store.get(b("a"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(b("1")));
    assertThat(store.get(b("b"))).isEmpty();
    assertThat(store.appliedIndex()).contains(new AppliedIndex(1, 1));
  }

  @Test
  void invariant1_oneTransaction_aGroupCommitIsOneTransactionWithTheLastEntrysMeta() throws Exception {
    java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
    java.util.List<MetaRead> metaAtCommit = new java.util.ArrayList<>();
    lmdb().beforeCommitForTest(commits::incrementAndGet);
    store.applyBatch(List.of(
        new LogEntryOps(new AppliedIndex(1, 1), List.of(new StoreOp.Put(b("a"), b("1")))),
        new LogEntryOps(new AppliedIndex(1, 2), List.of()),
        new LogEntryOps(new AppliedIndex(2, 3), List.of(new StoreOp.Put(b("b"), b("2"))))));
    assertThat(commits).hasValue(1);
    reopen(LmdbStoreConfig.defaults());
    assertThat(lmdb().readMeta()).isEqualTo(new MetaRead.Present(new AppliedIndex(2, 3)));
    assertThat(store.get(b("a"))).isPresent();
    assertThat(store.get(b("b"))).isPresent();
  }

  @Test
  void invariant8_neverSkipAnEntry_aFailingEntryAbortsItsWholeGroupCommit() throws Exception {
    store.apply(List.of(new StoreOp.Put(b("a"), b("0"))), new AppliedIndex(1, 1));
    byte[] tooLongForLmdb = new byte[LmdbShardStore.MAX_KEY_BYTES + 1];
    assertThatThrownBy(() -> store.applyBatch(List.of(
        new LogEntryOps(new AppliedIndex(1, 2), List.of(new StoreOp.Put(b("a"), b("2")))),
        new LogEntryOps(new AppliedIndex(1, 3), List.of(new StoreOp.Put(tooLongForLmdb, b("x")))),
        new LogEntryOps(new AppliedIndex(1, 4), List.of(new StoreOp.Put(b("c"), b("4")))))))
        .isInstanceOf(StoreException.class);

    reopen(LmdbStoreConfig.defaults());
    assertThat(store.get(b("a"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(b("0")));
    assertThat(store.get(b("c"))).isEmpty();
    assertThat(store.appliedIndex()).contains(new AppliedIndex(1, 1));
  }

  @Test
  void invariant1_oneTransaction_committedDataAndMetaSurviveReopenTogether() throws Exception {
    store.apply(List.of(new StoreOp.Put(b("a"), b("1"))), new AppliedIndex(4, 9));
    reopen(LmdbStoreConfig.defaults());
    assertThat(store.get(b("a"))).isPresent();
    assertThat(lmdb().readMeta()).isEqualTo(new MetaRead.Present(new AppliedIndex(4, 9)));
  }

  @Test
  void invariant2_everyAppliedEntryAdvancesMeta_survivesReopen() throws Exception {
    store.apply(List.of(), new AppliedIndex(2, 5));
    reopen(LmdbStoreConfig.defaults());
    assertThat(store.appliedIndex()).contains(new AppliedIndex(2, 5));
  }

  @Test
  void invariant8_neverSkipAnEntry_mapGrowsThenFailsWithoutAdvancingMeta() throws Exception {
    LmdbStoreConfig tiny = new LmdbStoreConfig(SyncMode.NOMETASYNC, 1L << 20, 2L << 20, 16);
    reopen(tiny);
    byte[] value = new byte[100_000];
    long index = 0;
    // Fill past the initial 1 MiB: the map must grow instead of failing.
    for (int i = 0; i < 12; i++) {
      store.apply(List.of(new StoreOp.Put(b("k" + i), value)), new AppliedIndex(1, ++index));
    }
    assertThat(lmdb().mapSizeBytes()).isEqualTo(2L << 20);

    // Now an entry that cannot fit in the maximum map: refused whole, meta stays put.
    List<StoreOp> tooBig = List.of(new StoreOp.Put(b("big1"), new byte[600_000]),
        new StoreOp.Put(b("big2"), new byte[600_000]));
    AppliedIndex before = store.appliedIndex().orElseThrow();
    assertThatThrownBy(() -> store.apply(tooBig, new AppliedIndex(1, before.index() + 1)))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("max-map-size");
    assertThat(store.appliedIndex()).contains(before);
    assertThat(store.get(b("big1"))).isEmpty();

    reopen(tiny);
    assertThat(store.appliedIndex()).contains(before);
    assertThat(store.get(b("k11"))).isPresent();
    assertThat(store.get(b("big1"))).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(SyncMode.class)
  void dataAndMetaSurviveACleanReopenInEverySyncMode(SyncMode mode) throws Exception {
    LmdbStoreConfig config = new LmdbStoreConfig(mode, 8L << 20, 64L << 20, 16);
    reopen(config);
    store.apply(List.of(new StoreOp.Put(b("k"), b("v"))), new AppliedIndex(1, 1));
    lmdb().syncToDisk();
    reopen(config);
    assertThat(store.get(b("k"))).isPresent();
    assertThat(store.appliedIndex()).contains(new AppliedIndex(1, 1));
  }

  @Test
  void pinAtBumpsMetaMonotonicallyAndFlushes() throws Exception {
    reopen(new LmdbStoreConfig(SyncMode.NOSYNC, 8L << 20, 64L << 20, 16));
    store.apply(List.of(new StoreOp.Put(b("k"), b("v"))), new AppliedIndex(1, 5));

    assertThat(lmdb().pinAt(new AppliedIndex(1, 5))).isEqualTo(new AppliedIndex(1, 5));
    assertThat(lmdb().pinAt(new AppliedIndex(2, 7))).isEqualTo(new AppliedIndex(2, 7));
    assertThat(lmdb().pinAt(new AppliedIndex(1, 3))).isEqualTo(new AppliedIndex(2, 7)); // never back
    assertThat(store.get(b("k"))).isPresent();
  }

  @Test
  void scanStartLongerThanTheKeyLimitPagesPastAMaximumLengthKey() {
    byte[] longest = new byte[LmdbShardStore.MAX_KEY_BYTES];
    java.util.Arrays.fill(longest, (byte) 0x61);
    byte[] next = java.util.Arrays.copyOf(longest, longest.length + 1); // the router's cursor
    byte[] after = new byte[] {0x62};
    store.apply(List.of(new StoreOp.Put(longest, b("x")), new StoreOp.Put(after, b("y"))),
        new AppliedIndex(1, 1));

    assertThat(store.scan(next, new byte[0], 10).kvs()).extracting(KeyValue::key).containsExactly(after);
    assertThat(store.scan(next, bytes(0x63), 10).kvs()).extracting(KeyValue::key).containsExactly(after);
    assertThat(store.get(next)).isEmpty();
  }

  @Test
  void missingAndCorruptMetaAreReportedNotThrown() throws Exception {
    assertThat(lmdb().readMeta()).isEqualTo(new MetaRead.Missing());
    assertThat(store.appliedIndex()).isEmpty();
  }

  @Test
  void compactedCopyOpensWithTheSameDataAndMeta() throws Exception {
    for (int i = 0; i < 100; i++) {
      store.apply(List.of(new StoreOp.Put(b("k" + i), b("v" + i))), new AppliedIndex(1, i + 1));
    }
    store.apply(List.of(new StoreOp.DeletePrefix(b("k1"))), new AppliedIndex(1, 101));
    Path copy = Files.createDirectories(dir.resolve("copy"));
    lmdb().copyCompactedTo(copy);

    try (LmdbShardStore copied = LmdbShardStore.open(copy, LmdbStoreConfig.defaults())) {
      assertThat(copied.appliedIndex()).contains(new AppliedIndex(1, 101));
      assertThat(copied.scan(new byte[0], new byte[0], 1000).kvs())
          .extracting(KeyValue::key)
          .containsExactlyElementsOf(store.scan(new byte[0], new byte[0], 1000).kvs().stream()
              .map(KeyValue::key).toList());
    }
    assertThat(lmdb().usedBytes()).isPositive();
  }

  @Test
  void invariant10_replicaDigest_failureBeforeCommitLeavesDataMetaAndDigestAsTheyWere() throws Exception {
    store.apply(List.of(new StoreOp.Put(b("a"), b("1"))), new AppliedIndex(1, 1));
    DigestAt before = store.digest();
    lmdb().beforeCommitForTest(() -> {
      throw new IllegalStateException("crash between data and commit");
    });
    assertThatThrownBy(() -> store.apply(List.of(new StoreOp.Put(b("a"), b("2")), new StoreOp.Delete(b("a")),
        new StoreOp.Put(b("b"), b("x"))), new AppliedIndex(1, 2))).hasMessageContaining("crash");
    lmdb().beforeCommitForTest(() -> {});

    reopen(LmdbStoreConfig.defaults());
    assertThat(store.digest()).isEqualTo(before);
    assertThat(lmdb().scrub(ScrubPacer.UNLIMITED).matches()).isTrue();
  }

  @Test
  void invariant10_replicaDigest_survivesReopenAndIsCarriedByTheCompactedCopy() throws Exception {
    for (int i = 0; i < 200; i++) {
      store.apply(List.of(new StoreOp.Put(b("k" + (i % 50)), b("v" + i))), new AppliedIndex(2, i + 1));
    }
    DigestAt digest = store.digest();
    assertThat(digest.at()).contains(new AppliedIndex(2, 200));
    assertThat(digest.digest()).isEqualTo(scanDigest(store)).extracting(ReplicaDigest::pairs).isEqualTo(50L);

    Path copy = Files.createDirectories(dir.resolve("copy"));
    lmdb().copyCompactedTo(copy);
    reopen(LmdbStoreConfig.defaults());
    assertThat(store.digest()).isEqualTo(digest);
    try (LmdbShardStore copied = LmdbShardStore.open(copy, LmdbStoreConfig.defaults())) {
      assertThat(copied.digest()).as("the snapshot artifact carries its digest with its meta").isEqualTo(digest);
      assertThat(copied.scrub(ScrubPacer.UNLIMITED).matches()).isTrue();
    }
  }

  @Test
  void aScrubFindsAByteFlippedInTheDataFileThatLmdbCannotSee() throws Exception {
    byte[] marker = b("marker-value-0123456789abcdef");
    store.apply(List.of(new StoreOp.Put(b("a"), b("1")), new StoreOp.Put(b("k"), marker)), new AppliedIndex(1, 1));
    assertThat(lmdb().scrub(ScrubPacer.UNLIMITED).matches()).isTrue();
    store.close();

    Path file = dir.resolve("store").resolve("data.mdb");
    byte[] bytes = Files.readAllBytes(file);
    int at = indexOf(bytes, marker);
    assertThat(at).as("the value's bytes in the data file").isNotNegative();
    bytes[at + 7] ^= 0x01;
    Files.write(file, bytes);

    store = LmdbShardStore.open(dir.resolve("store"), LmdbStoreConfig.defaults());
    assertThat(store.get(b("k"))).as("LMDB serves the rotten value without noticing").isPresent()
        .hasValueSatisfying(v -> assertThat(v).isNotEqualTo(marker));
    ScrubResult result = lmdb().scrub(ScrubPacer.UNLIMITED);
    assertThat(result.mismatch()).isTrue();
    assertThat(result.at()).contains(new AppliedIndex(1, 1));
    assertThat(result.computed()).hasValueSatisfying(c -> assertThat(c.pairs()).isEqualTo(2));
  }

  @Test
  void aScrubStopsWhenItsPacerSaysSoAndAClosedStoreRefusesOne() throws Exception {
    byte[] value = new byte[64 * 1024];
    for (int i = 0; i < 40; i++) {
      store.apply(List.of(new StoreOp.Put(b("k" + i), value)), new AppliedIndex(1, i + 1));
    }
    java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong();
    ScrubResult stopped = lmdb().scrub(bytes -> {
      seen.set(bytes);
      return false;
    });
    assertThat(stopped.computed()).isEmpty();
    assertThat(stopped.matches()).isFalse();
    assertThat(stopped.mismatch()).isFalse();
    assertThat(seen.get()).isGreaterThanOrEqualTo(1 << 20);

    store.close();
    assertThatThrownBy(() -> lmdb().scrub(ScrubPacer.UNLIMITED)).isInstanceOf(StoreClosedException.class);
  }

  @Test
  void aStoreWrittenBeforeDigestsExistedGetsOneComputedAtItsFirstOpen() throws Exception {
    store.close();
    Path legacy = dir.resolve("legacy");
    Files.createDirectories(legacy);
    try (org.lmdbjava.Env<byte[]> env = org.lmdbjava.Env.create(org.lmdbjava.ByteArrayProxy.PROXY_BA)
        .setMapSize(8L << 20).setMaxDbs(2).open(legacy.toFile())) {
      var data = env.openDbi("data", org.lmdbjava.DbiFlags.MDB_CREATE);
      var meta = env.openDbi("meta", org.lmdbjava.DbiFlags.MDB_CREATE);
      try (var txn = env.txnWrite()) {
        data.put(txn, b("x"), b("1"));
        data.put(txn, b("y"), b("2"));
        meta.put(txn, MetaSchema.KEY, MetaSchema.encode(new AppliedIndex(3, 30)));
        txn.commit();
      }
    }
    store = LmdbShardStore.open(legacy, LmdbStoreConfig.defaults());
    assertThat(store.digest().digest())
        .isEqualTo(ReplicaDigest.EMPTY.plus(PairHash.of(b("x"), b("1"))).plus(PairHash.of(b("y"), b("2"))));
    assertThat(store.appliedIndex()).contains(new AppliedIndex(3, 30));
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
