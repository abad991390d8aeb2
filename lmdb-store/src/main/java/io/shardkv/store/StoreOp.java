package io.shardkv.store;

/**
 * One data mutation carried by a log entry. Operations of one entry are applied in order in
 * a single write transaction, so later ones see the effects of earlier ones.
 */
public sealed interface StoreOp {

  /** Sets {@code key} to {@code value}. */
  record Put(byte[] key, byte[] value) implements StoreOp {}

  /** Removes {@code key}; the result reports whether it existed. */
  record Delete(byte[] key) implements StoreOp {}

  /** Removes every key starting with {@code prefix}; the result reports how many. */
  record DeletePrefix(byte[] prefix) implements StoreOp {}

  /**
   * Sets {@code key} to {@code value} if its current value equals {@code expected}, or if it is
   * absent when {@code expected} is null.
   */
  record CompareAndSet(byte[] key, byte[] expected, byte[] value) implements StoreOp {}
}
