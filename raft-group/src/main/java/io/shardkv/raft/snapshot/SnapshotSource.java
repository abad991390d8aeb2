package io.shardkv.raft.snapshot;

import io.shardkv.store.AppliedIndex;
import java.io.IOException;
import java.nio.file.Path;

/** What snapshotting needs from a shard's live store. */
public interface SnapshotSource {
  /** Bump before save: meta >= {@code at} and flushed to disk; throws if the flush fails. */
  AppliedIndex pinAt(AppliedIndex at);

  /** Writes a compacted, self-consistent copy of the store into the empty {@code dir}. */
  void copyCompactedTo(Path dir);

  /** The applied index recorded inside a copy made by {@link #copyCompactedTo}. */
  AppliedIndex indexOfCopy(Path dir) throws IOException;
}
