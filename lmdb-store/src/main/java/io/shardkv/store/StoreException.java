package io.shardkv.store;

/**
 * A store operation failed in a way that must stop the group (disk full, map full that cannot
 * grow, I/O error). Nothing of the failed apply was committed.
 */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
