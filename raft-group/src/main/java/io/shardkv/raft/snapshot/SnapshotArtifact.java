package io.shardkv.raft.snapshot;

import io.shardkv.store.AppliedIndex;
import java.nio.file.Path;

/**
 * A saved snapshot of one shard: a compacted copy of its LMDB environment whose own meta reads
 * {@code index} (DESIGN invariant 5), in directory {@code dir} with its checksum.
 */
public record SnapshotArtifact(AppliedIndex index, Path dir) {
  /** The LMDB data file of the copy. */
  public Path dataFile() {
    return dir.resolve(SnapshotArtifacts.DATA_FILE);
  }
}
