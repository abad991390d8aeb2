package io.shardkv.raft.host;

import io.shardkv.store.StoreDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Remembers which shards this node was removed from (Admin RemoveReplica), so that a restart
 * does not re-create those groups from the static peer list and wait forever for a leader that
 * no longer counts this node as a member. One marker file per shard, {@code shards/N.removed};
 * it is dropped again when the shard's group is added back to this node.
 */
final class RemovedReplicas {
  private final Path shardsDir;

  RemovedReplicas(Path shardsDir) {
    this.shardsDir = shardsDir;
  }

  /** The directory holding shard {@code shard}'s LMDB store generations. */
  Path storeRoot(int shard) {
    return shardsDir.resolve(Integer.toString(shard));
  }

  boolean isRemoved(int shard) {
    return Files.exists(marker(shard));
  }

  /**
   * Records the removal durably, then deletes the replica's store: the data of a group this node
   * no longer belongs to is stale the moment the configuration change commits.
   */
  void markRemoved(int shard) {
    try {
      Files.createDirectories(shardsDir);
      if (!Files.exists(marker(shard))) {
        Files.createFile(marker(shard));
      }
      StoreDirectory.fsync(shardsDir);
      StoreDirectory.deleteRecursively(storeRoot(shard));
    } catch (IOException e) {
      throw new UncheckedIOException("recording the removal of shard " + shard, e);
    }
  }

  /** The shard's group is being (re)created on this node. */
  void clear(int shard) {
    try {
      if (Files.deleteIfExists(marker(shard))) {
        StoreDirectory.fsync(shardsDir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("clearing the removal marker of shard " + shard, e);
    }
  }

  private Path marker(int shard) {
    return shardsDir.resolve(shard + ".removed");
  }
}
