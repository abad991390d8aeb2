package io.shardkv.raft.snapshot;

import io.shardkv.store.AppliedIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Where a shard's snapshot artifacts are kept. The real one is {@link SnapshotArtifacts}. */
interface ArtifactStore {
  /** A fresh, empty directory to write an artifact's data file into. */
  Path newStagingDir() throws IOException;

  /**
   * Makes the staged data file the durable artifact at {@code at}: checksum, fsync, atomic
   * rename into place.
   */
  SnapshotArtifact save(AppliedIndex at, Path staging) throws IOException;

  /** The newest complete artifact, if any. */
  Optional<SnapshotArtifact> latest() throws IOException;

  /** Checks an artifact's data file against its checksum. */
  void verify(SnapshotArtifact artifact) throws IOException;

  /** Deletes all but the newest artifacts, as configured. */
  void retain() throws IOException;
}
