package io.shardkv.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition with a deadline; never a fixed sleep in place of a check. Polls often at
 * first, then less often (25 ms growing to 100 ms): many conditions are heavy (an Admin
 * ClusterStatus, which asks every node; a read of every acknowledged key), and asked 40 times a
 * second they took the cores the cluster needed to get there.
 */
final class Await {
  private static final long FIRST_POLL_MS = 25;
  private static final long MAX_POLL_MS = 100;

  private Await() {}

  static void until(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pollMs = FIRST_POLL_MS;
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        // not yet: the node may still be starting or electing
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(pollMs);
        pollMs = Math.min(MAX_POLL_MS, pollMs * 3 / 2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }
}
