package io.shardkv.raft.replica;

import io.shardkv.raft.readiness.StartupTimeline;
import io.shardkv.store.CrashPoints;
import io.shardkv.store.LmdbStoreConfig;
import java.nio.file.Path;

/**
 * Where and how one shard replica keeps its store.
 *
 * @param storeRoot the shard's store directory (generations + CURRENT)
 * @param store LMDB settings
 * @param snapshotsKept artifacts kept
 * @param crashPoints fault injection (disabled outside crash tests)
 * @param timeline where the replica reports its start-up phases (store opened, gate decided)
 */
public record ReplicaSettings(Path storeRoot, LmdbStoreConfig store, int snapshotsKept, CrashPoints crashPoints,
    StartupTimeline timeline) {

  /** Settings whose start-up phases go to a timeline nobody reads (tests). */
  ReplicaSettings(Path storeRoot, LmdbStoreConfig store, int snapshotsKept, CrashPoints crashPoints) {
    this(storeRoot, store, snapshotsKept, crashPoints, new StartupTimeline(new com.codahale.metrics.MetricRegistry()));
  }
}
