package io.shardkv.store;

/**
 * The store was closed (its replica is stopping, was removed, or is being replaced by a
 * snapshot install) while a caller still held it: an expected end of the caller's work, not a
 * failure of the store.
 */
public class StoreClosedException extends StoreException {
  public StoreClosedException(String message) {
    super(message);
  }
}
