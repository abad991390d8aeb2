package io.shardkv.raft.health;

import io.shardkv.store.ScrubPacer;
import java.util.function.BooleanSupplier;

/**
 * Paces one scrub pass to a byte rate: after each chunk it sleeps until the bytes hashed so far
 * are no ahead of the rate allows, and ends the pass early when the scrubber stops.
 */
final class ScrubRate implements ScrubPacer {
  private final long bytesPerSecond;
  private final BooleanSupplier running;
  private final long startNanos = System.nanoTime();

  ScrubRate(long bytesPerSecond, BooleanSupplier running) {
    this.bytesPerSecond = bytesPerSecond;
    this.running = running;
  }

  @Override
  public boolean pace(long bytesSoFar) throws InterruptedException {
    long dueNanos = (long) (bytesSoFar * 1e9 / bytesPerSecond);
    long aheadNanos = dueNanos - (System.nanoTime() - startNanos);
    if (aheadNanos > 0) {
      Thread.sleep(aheadNanos / 1_000_000, (int) (aheadNanos % 1_000_000));
    }
    return running.getAsBoolean();
  }
}
