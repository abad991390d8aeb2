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
  default ApplyOutcome apply(List<StoreOp> ops, AppliedIndex at) {
    return applyBatch(List.of(new LogEntryOps(at, ops))).get(0);
  }

  /**
   * Group commit: applies a contiguous run of log entries, in log order, in ONE write
   * transaction that also advances the meta record to the last entry's index (DESIGN invariant
   * 1). Later entries see the effects of earlier ones. An entry at or below the stored meta is
   * skipped and its outcome is {@link ApplyOutcome#alreadyApplied()} (invariant 3).
   *
   * @param entries in strictly increasing index order, not empty
   * @return one outcome per entry, in the same order
   * @throws StoreException if the transaction cannot commit; then neither data nor meta changed
   *     for any of the entries
   */
  List<ApplyOutcome> applyBatch(List<LogEntryOps> entries);

  /**
   * The replica digest (DESIGN invariant 10) with the applied index it belongs to. Every
   * implementation computes it the same way ({@link ReplicaDigest}), so equal data means an
   * equal digest across implementations too.
   */
  DigestAt digest();

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
