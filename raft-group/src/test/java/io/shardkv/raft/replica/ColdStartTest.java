package io.shardkv.raft.replica;

import static io.shardkv.raft.replica.TestReplica.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.coldstart.ColdStartDecision.Outcome;
import io.shardkv.raft.coldstart.ColdStartDecision.Reason;
import io.shardkv.raft.coldstart.ColdStartReport;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.snapshot.SnapshotArtifacts;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.LmdbShardStore;
import io.shardkv.store.LmdbStoreConfig;
import io.shardkv.store.StoreDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cold-start gate end to end over real LMDB files: a replica with 10 entries and a snapshot
 * at index 6 is stopped, its files are damaged one way or another, and it is started again.
 */
class ColdStartTest {
  @TempDir Path dir;
  private TestReplica replica;
  private Path olderCopy;
  private java.util.Map<String, Long> countersBefore = java.util.Map.of();

  private long counted(String name) {
    return replica.metrics.counter(name).getCount() - countersBefore.getOrDefault(name, 0L);
  }

  @BeforeEach
  void replicaWithSnapshotAtSixAndTenEntries() throws Exception {
    replica = new TestReplica(dir);
    replica.start();
    for (int i = 1; i <= 6; i++) {
      replica.apply(put("k" + i, "v" + i), 1, i);
    }
    olderCopy = Files.createDirectories(dir.resolve("older"));
    try (LmdbShardStore live = LmdbShardStore.open(StoreFiles.liveGeneration(replica.storeRoot),
        LmdbStoreConfig.defaults())) {
      // (a second handle on the live environment is fine for a read-only copy)
      replica.apply(put("k0", "before-copy"), 1, 7);
      live.copyCompactedTo(olderCopy); // a store at index 7, behind the snapshot taken below
    }
    for (int i = 8; i <= 9; i++) {
      replica.apply(put("k" + i, "v" + i), 1, i);
    }
    assertThat(replica.sm.snapshotNow().get().index()).isEqualTo(new AppliedIndex(1, 9));
    replica.apply(put("k10", "v10"), 1, 10);
    replica.stop();
  }

  @AfterEach
  void stop() throws Exception {
    replica.stop();
  }

  private ColdStartReport restart() throws Exception {
    countersBefore = replica.metrics.getCounters().entrySet().stream()
        .collect(java.util.stream.Collectors.toMap(java.util.Map.Entry::getKey, e -> e.getValue().getCount()));
    replica.start();
    return replica.sm.coldStart().orElseThrow();
  }

  @Test
  void invariant6_coldStartGate_skipReportsTheStoreAsTheSnapshotSoOnlyTheTailReplays() throws Exception {
    ColdStartReport report = restart();

    assertThat(report.decision().outcome()).isEqualTo(Outcome.SKIPPED);
    assertThat(report.decision().durable()).contains(new AppliedIndex(1, 10));
    assertThat(report.decision().snapshot()).contains(new AppliedIndex(1, 9));
    // Ratis takes the log's snapshot index and the first entry to apply from this.
    assertThat(replica.sm.getLatestSnapshot().getIndex()).isEqualTo(10);
    assertThat(replica.sm.getLastAppliedTermIndex().getIndex()).isEqualTo(10);
    assertThat(counted(MetricNames.coldStartTotal("skipped", "none"))).isEqualTo(1);
  }

  @Test
  void invariant6_coldStartGate_noStore() throws Exception {
    StoreDirectory.deleteRecursively(replica.storeRoot);
    assertRestoredFromSnapshot(restart(), Reason.NO_STORE);
  }

  @Test
  void invariant6_coldStartGate_readError() throws Exception {
    Files.writeString(StoreFiles.liveGeneration(replica.storeRoot).resolve("data.mdb"), "not an LMDB file");
    assertRestoredFromSnapshot(restart(), Reason.READ_ERROR);
  }

  @Test
  void invariant6_coldStartGate_missingMeta() throws Exception {
    StoreFiles.setMeta(replica.storeRoot, null);
    assertRestoredFromSnapshot(restart(), Reason.MISSING_META);
  }

  @Test
  void invariant6_coldStartGate_corruptMeta() throws Exception {
    StoreFiles.setMeta(replica.storeRoot, new byte[] {1, 2});
    assertRestoredFromSnapshot(restart(), Reason.CORRUPT_META);
  }

  @Test
  void invariant6_coldStartGate_behindSnapshot() throws Exception {
    Path live = StoreFiles.liveGeneration(replica.storeRoot);
    Files.copy(olderCopy.resolve("data.mdb"), live.resolve("data.mdb"), StandardCopyOption.REPLACE_EXISTING);
    ColdStartReport report = restart();
    assertRestoredFromSnapshot(report, Reason.BEHIND_SNAPSHOT);
    assertThat(report.decision().durable()).contains(new AppliedIndex(1, 7));
  }

  private void assertRestoredFromSnapshot(ColdStartReport report, Reason reason) throws Exception {
    assertThat(report.decision().outcome()).isEqualTo(Outcome.RESTORED);
    assertThat(report.decision().reason()).contains(reason);
    // The store now holds exactly the snapshot (index 9): Ratis replays 10 from its log.
    assertThat(replica.sm.getLatestSnapshot().getIndex()).isEqualTo(9);
    assertThat(replica.sm.durableAppliedIndex()).contains(new AppliedIndex(1, 9));
    LmdbShardStore store = replica.sm.requireHealthy();
    assertThat(store.get("k9".getBytes())).isPresent();
    assertThat(store.get("k10".getBytes())).isEmpty();
    assertThat(counted(MetricNames.coldStartTotal("restored", reason.label()))).isEqualTo(1);
  }

  @Test
  void aStoreAheadOfALostRaftLogRefusesToStart() throws Exception {
    StoreDirectory.deleteRecursively(replica.raftDir); // the log, its term/vote and snapshots

    assertThatThrownBy(replica::start)
        .hasMessageContaining("Refusing to start this group")
        .hasMessageContaining(replica.storeRoot.toString());
    replica.sm = null;
  }

  @Test
  void installFromLeaderReplacesTheStoreAndReportsTheSnapshotIndex() throws Exception {
    replica.start();
    // What notifyInstallSnapshotFromLeader leaves behind: a newer artifact fetched and saved.
    SnapshotArtifacts artifacts = new SnapshotArtifacts(replica.smDir(), 2);
    Path staging = artifacts.newStagingDir();
    Path leaderStore = Files.createDirectories(dir.resolve("leader"));
    try (LmdbShardStore leader = LmdbShardStore.open(leaderStore, LmdbStoreConfig.defaults())) {
      leader.apply(List.of(new io.shardkv.store.StoreOp.Put("only-on-leader".getBytes(), "x".getBytes())),
          new AppliedIndex(4, 50));
      leader.copyCompactedTo(staging);
    }
    artifacts.savePending(new AppliedIndex(4, 50), staging);

    // Until installed, a fetched artifact is not a snapshot the gate may restore from.
    assertThat(artifacts.latest().orElseThrow().index().index()).isEqualTo(9);
    replica.sm.pause();
    replica.sm.reinitialize();

    // Installed and durable before reported: the store's own meta reads 50 (invariants 4, 5).
    assertThat(replica.sm.durableAppliedIndex()).contains(new AppliedIndex(4, 50));
    assertThat(replica.sm.getLatestSnapshot().getIndex()).isEqualTo(50);
    assertThat(replica.sm.requireHealthy().get("only-on-leader".getBytes())).isPresent();
    assertThat(replica.sm.requireHealthy().get("k1".getBytes())).isEmpty();
    assertThat(artifacts.latest().orElseThrow().index()).isEqualTo(new AppliedIndex(4, 50));
    assertThat(artifacts.pending()).isEmpty();

    // Its next restart skips.
    replica.stop();
    ColdStartReport next = restart();
    assertThat(next.decision().outcome()).isEqualTo(Outcome.SKIPPED);
    assertThat(next.decision().durable()).contains(new AppliedIndex(4, 50));
  }
}
