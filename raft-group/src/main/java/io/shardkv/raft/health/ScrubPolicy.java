package io.shardkv.raft.health;

import java.time.Duration;

/**
 * How the background scrubber re-reads each replica to check it against its digest.
 *
 * @param bytesPerSecond the scan's pace (key and value bytes hashed per second): a scrub holds
 *     one LMDB read transaction for its whole pass, and pages freed meanwhile cannot be reused
 *     until it ends, so a slow pace costs file growth under heavy writes
 * @param interval time between two passes over every replica this node hosts; zero turns the
 *     periodic passes off (the check after a snapshot restore or install still runs)
 * @param resync whether a replica found corrupt is re-synced from the leader (removed from its
 *     group and added back) when its peers answer and agree; if false it only stops serving
 */
public record ScrubPolicy(long bytesPerSecond, Duration interval, boolean resync) {
  public ScrubPolicy {
    if (bytesPerSecond < 1) {
      throw new IllegalArgumentException("scrub rate must be at least 1 byte/s, got " + bytesPerSecond);
    }
    if (interval.isNegative()) {
      throw new IllegalArgumentException("scrub interval must not be negative, got " + interval);
    }
  }

  /** 32 MiB/s, a pass a day, re-sync on. */
  public static ScrubPolicy defaults() {
    return new ScrubPolicy(32L << 20, Duration.ofHours(24), true);
  }

  public boolean periodic() {
    return !interval.isZero();
  }
}
