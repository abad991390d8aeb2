package io.shardkv.raft;

/**
 * How groups snapshot and keep their logs.
 *
 * @param snapshotAutoTriggerEntries applied entries since the last snapshot that trigger a new one
 * @param snapshotsKept artifacts kept per shard (the newest ones)
 * @param logSegmentBytes size at which a Raft log segment is closed (only closed segments purge)
 * @param logPurgeGap entries a snapshot must be past the last purge before Ratis purges again
 */
public record ReplicationPolicy(long snapshotAutoTriggerEntries, int snapshotsKept, long logSegmentBytes,
    int logPurgeGap) {

  public ReplicationPolicy {
    if (snapshotAutoTriggerEntries < 1 || snapshotsKept < 1 || logSegmentBytes < 1024 || logPurgeGap < 1) {
      throw new IllegalArgumentException("invalid replication policy: " + snapshotAutoTriggerEntries
          + " entries, " + snapshotsKept + " kept, " + logSegmentBytes + " segment bytes, purge gap "
          + logPurgeGap);
    }
  }

  /** Production defaults: a snapshot every 100k entries, two kept, 32 MiB segments, gap 1024. */
  public static ReplicationPolicy defaults() {
    return new ReplicationPolicy(100_000, 2, 32L << 20, 1024);
  }
}
