package io.shardkv.store;

/**
 * Paces a scrub's full scan: called with the bytes hashed so far, it may sleep to keep the scan
 * to a configured rate. Returning false ends the scan early (the node is stopping).
 */
@FunctionalInterface
public interface ScrubPacer {
  /** Never waits. */
  ScrubPacer UNLIMITED = bytesSoFar -> true;

  boolean pace(long bytesSoFar) throws InterruptedException;
}
