package io.shardkv.raft.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.CrashPoints;
import io.shardkv.store.StoreClosedException;
import io.shardkv.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact event order of bump-before-save, with recording fakes for the store and artifacts. */
class ShardSnapshotterTest {
  @TempDir Path dir;
  private final List<String> events = new ArrayList<>();
  private AppliedIndex storeAt = new AppliedIndex(3, 42);
  private boolean pinFails;
  private boolean storeClosed;

  private final SnapshotSource source = new SnapshotSource() {
    @Override
    public AppliedIndex pinAt(AppliedIndex at) {
      if (pinFails) {
        throw new StoreException("fsync failed: EIO");
      }
      events.add("pin@" + at.index());
      return at;
    }

    @Override
    public void copyCompactedTo(Path target) {
      if (storeClosed) {
        throw new StoreClosedException("store closed");
      }
      try {
        Files.writeString(target.resolve("data.mdb"), "copy");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public AppliedIndex indexOfCopy(Path copy) {
      return storeAt;
    }
  };

  private final ArtifactStore artifacts = new ArtifactStore() {
    @Override
    public Path newStagingDir() throws IOException {
      return Files.createTempDirectory(dir, "staging");
    }

    @Override
    public SnapshotArtifact save(AppliedIndex at, Path staging) {
      events.add("save@" + at.index());
      return new SnapshotArtifact(at, staging);
    }

    @Override
    public Optional<SnapshotArtifact> latest() {
      return Optional.empty();
    }

    @Override
    public void verify(SnapshotArtifact artifact) {}

    @Override
    public void retain() {}
  };

  private ShardSnapshotter snapshotter() throws IOException {
    // A direct executor makes the background copy run inline, so the order is observable.
    return new ShardSnapshotter(0, source, artifacts, Runnable::run, CrashPoints.disabled(), new MetricRegistry());
  }

  @Test
  void invariant4_bumpBeforeSave_automaticTrigger() throws Exception {
    ShardSnapshotter s = snapshotter();
    long reported = s.takeSnapshot(storeAt);

    assertThat(events).containsExactly("pin@42", "save@42");
    // Ratis is told of a snapshot only once it is complete: this call started and finished it.
    assertThat(reported).isEqualTo(-1);
    assertThat(s.takeSnapshot(storeAt)).isEqualTo(42);
    assertThat(events).containsExactly("pin@42", "save@42"); // nothing new to copy
  }

  @Test
  void invariant4_bumpBeforeSave_adminTrigger() throws Exception {
    ShardSnapshotter s = snapshotter();
    SnapshotArtifact artifact = s.snapshotNow().get();

    assertThat(events).containsExactly("pin@42", "save@42");
    assertThat(artifact.index()).isEqualTo(storeAt);
  }

  @Test
  void invariant4_bumpBeforeSave_failedPinSavesNothing() throws Exception {
    pinFails = true;
    ShardSnapshotter s = snapshotter();

    assertThat(s.takeSnapshot(storeAt)).isEqualTo(-1);
    assertThatThrownBy(() -> s.snapshotNow().get()).hasMessageContaining("fsync failed");

    assertThat(events).isEmpty();
    assertThat(s.completed()).isEmpty();
    assertThat(s.takeSnapshot(storeAt)).isEqualTo(-1); // never reports an unsaved snapshot
  }

  /** A replica closing under a running copy (removed, stopping, installing) leaves no artifact and no staging. */
  @Test
  void aStoreClosedDuringTheCopyLeavesNoArtifactAndNoStagingDirectory() throws Exception {
    storeClosed = true;
    ShardSnapshotter s = snapshotter();

    assertThatThrownBy(() -> s.snapshotNow().get()).hasMessageContaining("store closed");
    assertThat(s.completed()).isEmpty();
    assertThat(events).isEmpty();
    try (var left = Files.list(dir)) {
      assertThat(left).as("staging directories left behind").isEmpty();
    }
  }
}
