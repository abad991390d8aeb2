package io.shardkv.control.placement;

import java.time.Duration;

/**
 * How the placement controller works (docs/configuration.md, "placement").
 *
 * @param checkInterval how often the meta leader compares the cluster with the map and starts moves;
 *     zero turns the controller off (replicas are placed by hand; no map is created, so no node
 *     can join)
 * @param maxConcurrentMoves replica moves under way at once, cluster-wide
 * @param downTimeout how long a node may stay unreachable before it is marked down and its
 *     replicas are re-created on other nodes
 */
public record PlacementPolicy(Duration checkInterval, int maxConcurrentMoves, Duration downTimeout) {

  public PlacementPolicy {
    if (checkInterval.isNegative()) {
      throw new IllegalArgumentException("placement check interval must not be negative, got " + checkInterval);
    }
    if (maxConcurrentMoves < 1) {
      throw new IllegalArgumentException("max concurrent moves must be >= 1, got " + maxConcurrentMoves);
    }
    if (downTimeout.isNegative() || downTimeout.isZero()) {
      throw new IllegalArgumentException("down timeout must be positive, got " + downTimeout);
    }
  }

  /** Whether the controller runs at all. */
  public boolean enabled() {
    return !checkInterval.isZero();
  }

  /** Check every 2 s, two moves at once, a node is down after 10 minutes. */
  public static PlacementPolicy defaults() {
    return new PlacementPolicy(Duration.ofSeconds(2), 2, Duration.ofMinutes(10));
  }
}
