package io.shardkv.raft.snapshot;

import io.shardkv.store.AppliedIndex;
import java.io.IOException;
import java.nio.file.Path;

/** Fetches a shard's snapshot artifact from another node (the group's leader). */
public interface SnapshotFetcher {
  /**
   * Writes the artifact's data file to {@code target}, checks it against the sender's checksum
   * and returns the applied index it holds, which is at least {@code minIndex}.
   */
  AppliedIndex fetch(String fromNode, int shard, long minIndex, Path target) throws IOException;

  /** For hosts that never install from a leader (single-node tests): always fails. */
  static SnapshotFetcher unavailable() {
    return (node, shard, min, target) -> {
      throw new IOException("no snapshot transfer is configured on this node");
    };
  }
}
