package io.shardkv.store;

import java.util.List;
import java.util.Optional;

/**
 * One shard replica's key-value data plus the applied-index meta record. The single writer is
 * the group's apply thread; reads may come from any thread.
 */
public interface ShardStore extends AppliedIndexReader, AutoCloseable {

  /**
   * Applies {@code ops} (possibly none) for the log entry at {@code at}, and advances the meta
   * record to {@code at}, in ONE write transaction (DESIGN invariants 1 and 2). If {@code at} is
   * at or below the stored meta, nothing is written and {@link ApplyOutcome#alreadyApplied()}
   * is returned (invariant 3).
   *
   * @throws StoreException if the transaction cannot commit; then neither data nor meta changed
   */
  ApplyOutcome apply(List<StoreOp> ops, AppliedIndex at);

  /** The current value of {@code key}, if any. */
  Optional<byte[]> get(byte[] key);

  /**
   * Keys in {@code [start, end)} in unsigned byte order; an empty {@code start} means from the
   * first key and an empty {@code end} means to the last key.
   */
  ScanPage scan(byte[] start, byte[] end, int limit);

  @Override
  void close();
}
