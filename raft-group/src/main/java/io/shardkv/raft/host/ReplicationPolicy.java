package io.shardkv.raft.host;

import io.shardkv.raft.readiness.ReplayBudget;

/**
 * How groups snapshot and keep their logs.
 *
 * @param snapshotAutoTriggerEntries applied entries since the last snapshot that trigger a new one
 * @param snapshotsKept artifacts kept per shard (the newest ones)
 * @param logSegmentBytes size at which a Raft log segment is closed (only closed segments purge)
 * @param logPurgeGap entries a snapshot must be past the last purge before Ratis purges again
 * @param maxReplay longest a restart should spend loading this node's retained Raft log; while
 *     it would take longer, the shard with the most purgeable log is snapshotted (see
 *     {@link ReplayBudget})
 */
public record ReplicationPolicy(long snapshotAutoTriggerEntries, int snapshotsKept, long logSegmentBytes,
    int logPurgeGap, java.time.Duration maxReplay) {

  /**
   * Default replay budget. At the default rate (50 MiB/s) that is 250 MiB of log, room for the
   * open 8 MiB segment and several closed ones of four shards before any snapshot is forced.
   */
  public static final java.time.Duration DEFAULT_MAX_REPLAY = java.time.Duration.ofSeconds(5);

  public ReplicationPolicy {
    if (snapshotAutoTriggerEntries < 1 || snapshotsKept < 1 || logSegmentBytes < 1024 || logPurgeGap < 1
        || maxReplay.isNegative() || maxReplay.isZero()) {
      throw new IllegalArgumentException("invalid replication policy: " + snapshotAutoTriggerEntries
          + " entries, " + snapshotsKept + " kept, " + logSegmentBytes + " segment bytes, purge gap "
          + logPurgeGap + ", max replay " + maxReplay);
    }
  }

  /** With the default replay budget. */
  public ReplicationPolicy(long snapshotAutoTriggerEntries, int snapshotsKept, long logSegmentBytes,
      int logPurgeGap) {
    this(snapshotAutoTriggerEntries, snapshotsKept, logSegmentBytes, logPurgeGap, DEFAULT_MAX_REPLAY);
  }

  /**
   * Production defaults: a snapshot every 100k entries, two kept, 8 MiB segments (only closed
   * ones purge, so a restart reads up to one segment a shard back even after a snapshot), purge
   * gap 1 (purges follow snapshots only, so every snapshot may purge; Ratis's 1024 left up to
   * 1024 large batches of log unpurged after a snapshot, read back by every restart), replay
   * budget 5 s.
   */
  public static ReplicationPolicy defaults() {
    return new ReplicationPolicy(100_000, 2, 8L << 20, 1);
  }
}
