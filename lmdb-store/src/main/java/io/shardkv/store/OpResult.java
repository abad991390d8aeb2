package io.shardkv.store;

/** The outcome of one {@link StoreOp}, in the same position as the op in its entry. */
public sealed interface OpResult {

  /** A put was written. */
  record Written() implements OpResult {}

  /** A delete ran; {@code existed} tells whether the key was present. */
  record Deleted(boolean existed) implements OpResult {}

  /** A prefix delete removed {@code count} keys. */
  record PrefixDeleted(long count) implements OpResult {}

  /**
   * A compare-and-set ran; {@code current} is the value after it (null when absent).
   */
  record CompareAndSetOutcome(boolean succeeded, byte[] current) implements OpResult {}
}
