package io.shardkv.raft.replica;

import static io.shardkv.raft.replica.TestReplica.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.GetQuery;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.raft.client.ShardFailedException;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.snapshot.SnapshotArtifact;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.LmdbShardStore;
import io.shardkv.store.LmdbStoreConfig;
import io.shardkv.store.MetaRead;
import io.shardkv.store.StoreException;
import io.shardkv.store.SyncMode;
import java.nio.file.Path;
import org.apache.ratis.protocol.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardStateMachineTest {
  @TempDir Path dir;
  private TestReplica replica;

  @AfterEach
  void stop() throws Exception {
    if (replica != null) {
      replica.stop();
    }
  }

  private String get(String key) throws Exception {
    RaftQuery q = RaftQuery.newBuilder().setGet(GetQuery.newBuilder().setKey(ByteString.copyFromUtf8(key))).build();
    Message answer = replica.sm.query(Message.valueOf(
        org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(q.toByteArray()))).get();
    RaftQueryResult r = RaftQueryResult.parseFrom(answer.getContent().toByteArray());
    return r.getGet().hasValue() ? r.getGet().getValue().toStringUtf8() : null;
  }

  @Test
  void appliesCommandsAndAnswersQueriesFromTheStore() throws Exception {
    replica = new TestReplica(dir);
    replica.start();
    RaftCommandResult result = replica.apply(put("k", "v"), 1, 1);

    assertThat(result.getIndex()).isEqualTo(1);
    assertThat(get("k")).isEqualTo("v");
    assertThat(replica.sm.getLastAppliedTermIndex().getIndex()).isEqualTo(1);
  }

  @Test
  void invariant2_everyAppliedEntryAdvancesMeta_configurationAndMetadataEntries() throws Exception {
    replica = new TestReplica(dir);
    replica.start();
    replica.apply(put("k", "v"), 1, 1);
    replica.sm.notifyTermIndexUpdated(2, 2); // e.g. the new leader's configuration entry

    assertThat(replica.sm.durableAppliedIndex()).contains(new AppliedIndex(2, 2));
    assertThat(replica.sm.getLastAppliedTermIndex().getIndex()).isEqualTo(2);
  }

  @Test
  void invariant3_monotonic_restartResumesAfterTheStoreAndNeverReappliesOldEntries() throws Exception {
    replica = new TestReplica(dir);
    replica.start();
    replica.apply(put("k", "at4"), 1, 4);
    replica.apply(put("k", "at5"), 1, 5);
    replica.stop();
    replica.start();

    // Ratis resumes after what the state machine reports: entry 6, not 1 or 4.
    assertThat(replica.sm.getLatestSnapshot().getIndex()).isEqualTo(5);
    assertThat(replica.sm.getLastAppliedTermIndex().getIndex()).isEqualTo(5);
    replica.apply(put("k", "at6"), 1, 6);
    assertThat(get("k")).isEqualTo("at6");
    assertThat(replica.sm.durableAppliedIndex()).contains(new AppliedIndex(1, 6));
  }

  @Test
  void invariant8_neverSkipAnEntry_storeFailureStopsTheReplica() throws Exception {
    replica = new TestReplica(dir, new LmdbStoreConfig(SyncMode.NOMETASYNC, 1L << 20, 1L << 20, 16));
    replica.start();
    replica.apply(put("a", "1"), 1, 1);

    String huge = "x".repeat(2 << 20); // cannot fit in a map capped at 1 MiB
    assertThatThrownBy(() -> replica.apply(put("b", huge), 1, 2)).isInstanceOf(StoreException.class);

    // The meta stays at the last entry really applied; the replica refuses reads and Ratis
    // (which sees the exception) stops applying this group.
    assertThat(replica.sm.durableAppliedIndex()).contains(new AppliedIndex(1, 1));
    assertThat(replica.sm.getLastAppliedTermIndex().getIndex()).isEqualTo(1);
    assertThatThrownBy(replica.sm::requireHealthy).isInstanceOf(ShardFailedException.class);
    assertThat(replica.metrics.counter(MetricNames.applyFailures(0)).getCount()).isEqualTo(1);
  }

  @Test
  void invariant5_snapshotArtifactCarriesItsOwnMeta() throws Exception {
    replica = new TestReplica(dir);
    replica.start();
    replica.apply(put("k", "v"), 3, 17);
    SnapshotArtifact artifact = replica.sm.snapshotNow().get();

    assertThat(artifact.index()).isEqualTo(new AppliedIndex(3, 17));
    try (LmdbShardStore copy = LmdbShardStore.open(artifact.dir(), LmdbStoreConfig.defaults())) {
      assertThat(copy.readMeta()).isEqualTo(new MetaRead.Present(new AppliedIndex(3, 17)));
    }
  }

  @Test
  void invariant4_bumpBeforeSave_takeSnapshotReportsOnlyCompletedDurableArtifacts() throws Exception {
    replica = new TestReplica(dir, new LmdbStoreConfig(SyncMode.NOSYNC, 8L << 20, 64L << 20, 16));
    replica.start();
    replica.apply(put("k", "v"), 1, 1);
    replica.apply(put("k", "w"), 1, 2);

    // With the direct executor the background copy completes inside the first call.
    assertThat(replica.sm.takeSnapshot()).isEqualTo(-1);
    assertThat(replica.sm.takeSnapshot()).isEqualTo(2);
    assertThat(replica.sm.getLatestSnapshot().getIndex()).isEqualTo(2);
    assertThat(replica.sm.durableAppliedIndex()).contains(new AppliedIndex(1, 2));
  }

  @Test
  void invariant4_takeSnapshotNeverReportsLessThanTheSkippedBaseline() throws Exception {
    replica = new TestReplica(dir, new LmdbStoreConfig(SyncMode.NOSYNC, 8L << 20, 64L << 20, 16));
    replica.start();
    replica.apply(put("k", "v"), 1, 1);
    replica.apply(put("k", "w"), 1, 2);
    assertThat(replica.sm.snapshotNow().get().index().index()).isEqualTo(2);
    replica.apply(put("k", "x"), 1, 3);
    replica.apply(put("k", "y"), 1, 4);
    replica.stop();
    replica.start(); // skips: Ratis now knows snapshot index 4, the newest artifact is at 2

    assertThat(replica.sm.getLatestSnapshot().getIndex()).isEqualTo(4);
    long first = replica.sm.takeSnapshot();
    assertThat(first).isIn(-1L, 4L); // never the artifact at 2: Ratis would stop the group
    assertThat(replica.sm.takeSnapshot()).isEqualTo(4);
  }
}
