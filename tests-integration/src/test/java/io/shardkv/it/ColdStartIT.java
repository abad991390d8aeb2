package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.store.CrashPoints;
import io.shardkv.store.StoreDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.Txn;

/**
 * The cold-start gate with real node processes (DESIGN invariants 4-7): skips after kill -9,
 * each restore reason produced by damaging real files, a follower installing a snapshot, and
 * crashes injected at the dangerous points.
 *
 * <p>Every test restarts, damages or crashes n3 only, and each starts its own n3 process: so the
 * tests share one cluster (n1 and n2 run throughout) rather than start nine. Each checks what it
 * wrote ({@link #acked} is reset per test, its keys carry a per-test prefix) and what n3's
 * current process logged.
 */
class ColdStartIT extends SharedClusterTest {
  /** Frequent snapshots and small log segments so snapshots and purges happen in a short test. */
  private static final String SNAPSHOTTING = "raft { snapshot-auto-trigger-entries = 40, "
      + "log-segment-size = 2KiB, log-purge-gap = 8 }";
  private static final int N3 = 2;
  private static final int BULK_WRITERS = 4;
  private final Map<String, String> acked = new LinkedHashMap<>();
  /** Prefixes this test's keys: a key an earlier test wrote must not stand in for a lost write. */
  private String test = "";
  private int tests;

  @Override
  ProcessCluster createCluster(Path dir) throws IOException {
    return new ProcessCluster(dir, SNAPSHOTTING);
  }

  /** Each test checks what it wrote: earlier tests checked theirs. */
  @BeforeEach
  void newTest() {
    acked.clear();
    test = "t" + ++tests + "-";
  }

  /** Stops n3 (SIGTERM) and starts it again halting at {@code point}; returns once it runs. */
  private void restartArmed(String point, int after) throws Exception {
    cluster.stop(N3);
    startArmed(N3, point, after);
  }

  /** What n3's current process logged: earlier starts (and tests) logged the same phrases. */
  private String logOfN3sLastStart() throws IOException {
    String log = cluster.log(N3, true);
    return log.substring(log.lastIndexOf("=== start"));
  }

  private void write(int node, String prefix, int count) {
    for (int i = 0; i < count; i++) {
      put(node, test + prefix + i, "v" + i);
      acked.put(test + prefix + i, "v" + i);
    }
  }

  /**
   * {@code count} puts through n1 from {@value #BULK_WRITERS} threads, all acknowledged: for
   * writes that only have to fill logs and trigger snapshots, where one at a time only waited.
   * Few enough threads that puts seldom share a Raft entry: the snapshot trigger counts entries.
   */
  private void writeInBulk(String prefix, int count) throws InterruptedException {
    putFromThreads("bulk", prefix, count, BULK_WRITERS, n -> 0, Duration.ofSeconds(120));
  }

  /** {@code count} puts through n1 and n2 at once, each from its own thread, all acknowledged. */
  private void writeConcurrently(String prefix, int count) throws InterruptedException {
    putFromThreads("concurrent", prefix, count, count, n -> n % 2, Duration.ofSeconds(60));
  }

  /**
   * Puts keys {@code prefix0..count-1} from {@code threads} threads (thread w writes keys w,
   * w + threads, ...), key n through node {@code nodeOf(n)}; asserts every one acknowledged.
   */
  private void putFromThreads(String kind, String prefix, int count, int threads, IntUnaryOperator nodeOf,
      Duration join) throws InterruptedException {
    Map<String, String> done = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.List<Thread> started = new java.util.ArrayList<>();
    for (int w = 0; w < threads; w++) {
      int first = w;
      Thread t = new Thread(() -> {
        for (int n = first; n < count; n += threads) {
          put(nodeOf.applyAsInt(n), test + prefix + n, "v" + n);
          done.put(test + prefix + n, "v" + n);
        }
      });
      t.start();
      started.add(t);
    }
    for (Thread t : started) {
      t.join(join.toMillis());
    }
    assertThat(done).as("every " + kind + " put acknowledged").hasSize(count);
    acked.putAll(done);
  }

  private double coldStarts(int node, String outcome, String reason) throws Exception {
    return cluster.metric(node, "shardkv_coldstart_total", "outcome", outcome, "reason", reason);
  }

  private void awaitSnapshotsOnEveryShard(int node) {
    Await.until(Duration.ofSeconds(60), "a snapshot of every shard on n" + (node + 1), () -> {
      for (int s = 0; s < ProcessCluster.SHARDS; s++) {
        try (Stream<Path> files = Files.list(groupSmDirs(node).get(s))) {
          if (files.noneMatch(p -> p.getFileName().toString().startsWith("snapshot."))) {
            return false;
          }
        } catch (IOException e) {
          return false;
        }
      }
      return true;
    });
  }

  /**
   * The state-machine (snapshot) directories of node {@code node}'s shard groups, in shard
   * order (not the cluster map's group, which takes no snapshots).
   */
  private java.util.List<Path> groupSmDirs(int node) throws IOException {
    io.shardkv.raft.topology.GroupIds ids = new io.shardkv.raft.topology.GroupIds(cluster.clusterId());
    java.util.List<Path> dirs = new java.util.ArrayList<>();
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      Path sm = cluster.dataDir(node).resolve("raft").resolve(ids.of(s).getUuid().toString()).resolve("sm");
      if (Files.isDirectory(sm)) {
        dirs.add(sm);
      }
    }
    return dirs;
  }

  private Path liveStore(int node, int shard) throws IOException {
    return new StoreDirectory(cluster.dataDir(node).resolve("shards/" + shard)).current().orElseThrow();
  }

  private void startArmed(int node, String point, int after) throws IOException {
    cluster.start(node, "-Dshardkv.crash.point=" + point, "-Dshardkv.crash.after=" + after);
  }

  @Test
  void invariant6_afterKill9EveryGroupSkipsAndOnlyTheTailIsReplayed() throws Exception {
    writeInBulk("before-", 240);
    awaitSnapshotsOnEveryShard(N3);
    assertNodeHoldsEveryAckedWrite(N3, acked);

    cluster.kill9(N3);
    int tail = 30;
    write(0, "while-down-", tail);
    cluster.start(N3);
    cluster.awaitServing(N3);
    assertNodeHoldsEveryAckedWrite(N3, acked);

    assertThat(coldStarts(N3, "skipped", "none")).isEqualTo(ProcessCluster.SHARDS);
    // Data entries handed to the state machine (one per entry, however they were group-committed).
    double applied = cluster.sumOverShards(N3, "shardkv_apply_batch_ops_count");
    // Only entries n3 had not applied: the writes made while it was down, plus at most one
    // per shard whose commit it had not yet learned when killed. Never the 240 before.
    assertThat(applied).isBetween((double) tail, (double) tail + ProcessCluster.SHARDS);
    assertThat(logOfN3sLastStart()).contains("outcome=skipped reason=none");
  }

  @Test
  void invariant6_eachRestoreReasonProducedForRealAndTheNodeServesTheRightData() throws Exception {
    write(0, "early-", 20);
    assertNodeHoldsEveryAckedWrite(N3, acked);
    cluster.stop(N3);
    Path older = Files.copy(liveStore(N3, 3).resolve("data.mdb"), dir.resolve("shard3-older.mdb"));
    cluster.start(N3);
    cluster.awaitServing(N3);
    writeInBulk("later-", 240);
    awaitSnapshotsOnEveryShard(N3);
    assertNodeHoldsEveryAckedWrite(N3, acked);

    cluster.stop(N3);
    StoreDirectory.deleteRecursively(cluster.dataDir(N3).resolve("shards/0"));        // no_store
    setMeta(liveStore(N3, 1), null);                                                  // missing_meta
    setMeta(liveStore(N3, 2), new byte[] {1, 2});                                     // corrupt_meta
    Files.copy(older, liveStore(N3, 3).resolve("data.mdb"), StandardCopyOption.REPLACE_EXISTING); // behind
    cluster.start(N3);
    cluster.awaitServing(N3);

    assertThat(coldStarts(N3, "restored", "no_store")).isEqualTo(1);
    assertThat(coldStarts(N3, "restored", "missing_meta")).isEqualTo(1);
    assertThat(coldStarts(N3, "restored", "corrupt_meta")).isEqualTo(1);
    assertThat(coldStarts(N3, "restored", "behind_snapshot")).isEqualTo(1);
    String log = logOfN3sLastStart();
    assertThat(log).contains("shard=0").contains("reason=no_store").contains("reason=missing_meta")
        .contains("reason=corrupt_meta").contains("reason=behind_snapshot");
    write(0, "after-", 10);
    assertNodeHoldsEveryAckedWrite(N3, acked);
  }

  @Test
  void followerBehindAPurgedLogInstallsTheSnapshotThenSkipsAtItsNextRestart() throws Exception {
    write(0, "a-", 20);
    cluster.stop(N3);
    writeInBulk("b-", 500); // snapshots and purges on n1 and n2 leave n3 behind their logs
    cluster.start(N3);
    cluster.awaitServing(N3);
    assertNodeHoldsEveryAckedWrite(N3, acked);
    assertThat(cluster.sumOverShards(N3, "shardkv_snapshot_install_seconds_count"))
        .as("snapshots installed on n3").isGreaterThanOrEqualTo(1);
    assertThat(logOfN3sLastStart()).contains("snapshot installed at");

    cluster.kill9(N3);
    cluster.start(N3);
    cluster.awaitServing(N3);
    assertThat(coldStarts(N3, "skipped", "none")).isEqualTo(ProcessCluster.SHARDS);
    assertNodeHoldsEveryAckedWrite(N3, acked);
  }

  @Test
  void crashAfterAnApplyCommit() throws Exception {
    crashThenRecover(CrashPoints.AFTER_APPLY_COMMIT, 60);
  }

  @Test
  void crashBetweenTwoEntriesOfOneGroupCommit() throws Exception {
    crashThenRecover(CrashPoints.BETWEEN_BATCH_ENTRIES, 3);
  }

  @Test
  void crashDuringTheFlushBeforeASnapshot() throws Exception {
    crashThenRecover(CrashPoints.DURING_PIN_FLUSH, 1);
  }

  @Test
  void crashAfterThePinBeforeTheSnapshotRename() throws Exception {
    crashThenRecover(CrashPoints.AFTER_PIN_BEFORE_RENAME, 1);
    // The half-made artifact is gone; the store was pinned, so nothing forces a restore.
    for (Path sm : groupSmDirs(N3)) {
      try (Stream<Path> files = Files.list(sm)) {
        assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("staging-"));
      }
    }
  }

  @Test
  void crashAfterTheRenameBeforeRatisLearnsOfTheSnapshot() throws Exception {
    crashThenRecover(CrashPoints.AFTER_RENAME_BEFORE_REPORT, 1);
  }

  /** n3 halts at the point while n1 takes writes; restarted, it skips and loses nothing. */
  private void crashThenRecover(String point, int after) throws Exception {
    restartArmed(point, after);
    cluster.awaitServing(N3);
    for (int i = 0; cluster.alive(N3); i++) {
      assertThat(i).as("n3 reached " + point + " within 400 rounds of writes").isLessThan(400);
      writeConcurrently("w" + i + "-", 8); // concurrent writes, so n3 group-commits several entries at once
    }
    assertThat(cluster.awaitExit(N3, Duration.ofSeconds(10))).isEqualTo(137);
    write(0, "after-crash-", 10);
    cluster.start(N3);
    cluster.awaitServing(N3);
    assertNodeHoldsEveryAckedWrite(N3, acked);
    assertThat(coldStarts(N3, "skipped", "none")).isEqualTo(ProcessCluster.SHARDS);
  }

  @Test
  void crashInTheMiddleOfInstallingASnapshot() throws Exception {
    write(0, "a-", 20);
    cluster.stop(N3);
    writeInBulk("b-", 500);
    startArmed(N3, CrashPoints.MID_INSTALL, 1); // its start skips; the install that follows halts
    assertThat(cluster.awaitExit(N3, Duration.ofSeconds(90))).isEqualTo(137);

    cluster.start(N3);
    cluster.awaitServing(N3);
    // The fetched artifact was not installed, so it is not a snapshot yet: every store is used
    // as it is (skip) and Ratis runs the install again, resetting its log as it does.
    assertThat(coldStarts(N3, "skipped", "none")).isEqualTo(ProcessCluster.SHARDS);
    assertNodeHoldsEveryAckedWrite(N3, acked);
    assertThat(logOfN3sLastStart()).contains("snapshot installed at");
  }

  /** Removes (null) or overwrites the applied-index meta record of a stopped node's store. */
  private static void setMeta(Path liveGeneration, byte[] value) {
    try (Env<byte[]> env = Env.create(ByteArrayProxy.PROXY_BA).setMaxDbs(2).setMapSize(64L << 20)
        .open(liveGeneration.toFile())) {
      Dbi<byte[]> meta = env.openDbi("meta");
      try (Txn<byte[]> txn = env.txnWrite()) {
        if (value == null) {
          meta.delete(txn, "applied_index".getBytes());
        } else {
          meta.put(txn, "applied_index".getBytes(), value);
        }
        txn.commit();
      }
    }
  }
}
