package io.shardkv.raft.snapshot;

import io.shardkv.store.AppliedIndex;
import io.shardkv.store.CrashPoints;
import io.shardkv.store.LmdbShardStore;
import io.shardkv.store.LmdbStoreConfig;
import io.shardkv.store.MetaRead;
import io.shardkv.store.StoreDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Replaces a shard's live store: with a snapshot artifact (cold-start restore, install from a
 * leader) or with an empty store. The new environment is prepared in a fresh generation and
 * switched in atomically, so a crash mid-way leaves the previous store live.
 */
public final class StoreRestorer {
  private final StoreDirectory dir;
  private final LmdbStoreConfig config;
  private final CrashPoints crashPoints;

  public StoreRestorer(StoreDirectory dir, LmdbStoreConfig config, CrashPoints crashPoints) {
    this.dir = dir;
    this.config = config;
    this.crashPoints = crashPoints;
  }

  /**
   * Makes {@code artifact} the live store and returns it opened, its meta at the artifact's
   * index (invariant 5) and flushed (invariant 4) before anyone reports it.
   */
  public LmdbShardStore restore(SnapshotArtifact artifact, ArtifactStore artifacts) throws IOException {
    artifacts.verify(artifact);
    Path generation = dir.prepareNext();
    Files.copy(artifact.dataFile(), generation.resolve("data.mdb"));
    AppliedIndex inCopy;
    try (LmdbShardStore copy = LmdbShardStore.open(generation, config)) {
      inCopy = copy.readMeta() instanceof MetaRead.Present p ? p.index() : null;
    }
    if (inCopy == null || inCopy.index() != artifact.index().index()) {
      StoreDirectory.deleteRecursively(generation);
      throw new IOException("snapshot " + artifact.dir() + " holds meta " + inCopy
          + " instead of " + artifact.index() + "; refusing to install it");
    }
    crashPoints.reached(CrashPoints.MID_INSTALL);
    dir.activate(generation);
    LmdbShardStore store = LmdbShardStore.open(generation, config, crashPoints);
    store.pinAt(artifact.index());
    return store;
  }

  /** Makes a new empty store live (no snapshot to restore from) and returns it opened. */
  public LmdbShardStore createEmpty() throws IOException {
    Path generation = dir.prepareNext();
    LmdbShardStore store = LmdbShardStore.open(generation, config, crashPoints);
    dir.activate(generation);
    return store;
  }
}
