package io.shardkv.bench;

import java.time.Duration;

/**
 * What the load generator runs: the operation mix, the data shape and the amount.
 *
 * @param kind the operation mix
 * @param writePercent for {@link Kind#MIXED}: the share of puts, 0-100; the rest are gets
 * @param stale gets and scans read locally (shardkv {@code stale}, etcd serializable)
 * @param valueBytes size of every written value
 * @param keySpace keys are drawn uniformly from this many keys
 * @param clients concurrent clients, each a thread issuing one call at a time
 * @param channels connections the clients share round robin
 * @param duration how long to run when {@code count} is 0
 * @param count total operations to run; 0 means run for {@code duration}
 * @param scanLimit keys per scan
 */
public record Workload(Kind kind, int writePercent, boolean stale, int valueBytes, int keySpace,
    int clients, int channels, Duration duration, long count, int scanLimit) {

  /** The operation mixes. */
  public enum Kind { PUT, GET, MIXED, SCAN }

  public Workload {
    if (writePercent < 0 || writePercent > 100) {
      throw new IllegalArgumentException("write percent must be 0-100: " + writePercent);
    }
    if (valueBytes < 0 || keySpace < 1 || clients < 1 || channels < 1 || scanLimit < 1) {
      throw new IllegalArgumentException("value bytes >= 0, key space, clients, channels, scan limit >= 1");
    }
    if (count < 0 || (count == 0 && (duration == null || duration.isZero() || duration.isNegative()))) {
      throw new IllegalArgumentException("give a positive count or a positive duration");
    }
  }

  /** Whether the keys must exist before the run (every kind that reads). */
  public boolean needsPreload() {
    return kind != Kind.PUT;
  }

  /** The same workload with another client count (channels capped at the clients). */
  /**
   * The warm-up run before measuring: a 50% write mix over the same key space and value size,
   * at 64 clients, for {@code length}.
   */
  public Workload warmUp(Duration length) {
    return new Workload(Kind.MIXED, 50, false, valueBytes, keySpace, 64, channels, length, 0, scanLimit);
  }

  public Workload withClients(int n) {
    return new Workload(kind, writePercent, stale, valueBytes, keySpace, n, Math.min(channels, n),
        duration, count, scanLimit);
  }

  /** A short label: "put", "get-stale", "mixed-20w", "scan-100". */
  public String label() {
    return switch (kind) {
      case PUT -> "put";
      case GET -> stale ? "get-stale" : "get";
      case MIXED -> "mixed-" + writePercent + "w" + (stale ? "-stale" : "");
      case SCAN -> "scan-" + scanLimit + (stale ? "-stale" : "");
    };
  }
}
