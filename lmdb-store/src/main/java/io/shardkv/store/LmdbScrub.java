package io.shardkv.store;

import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.KeyRange;
import org.lmdbjava.Txn;

/**
 * One scrub pass over a shard's store (DESIGN invariant 10): recomputes the digest from every
 * key/value pair of one read transaction's view and returns it beside the digest and applied
 * index stored in that same view, so a flipped bit in the data file (LMDB keeps no checksums)
 * shows as a difference. Paced by the caller's {@link ScrubPacer}, and gives way when asked.
 */
final class LmdbScrub {
  /** A scrub paces itself, and checks whether it must give way, after this many bytes. */
  private static final long PACE_BYTES = 1 << 20;

  private LmdbScrub() {}

  /**
   * Runs the pass in {@code txn}; returns without a computed digest when {@code pacer} says
   * stop or {@code giveWay} says the store needs its transactions closed.
   */
  static ScrubResult inReadTxn(Txn<byte[]> txn, Dbi<byte[]> data, Optional<AppliedIndex> at, ReplicaDigest stored,
      ScrubPacer pacer, BooleanSupplier giveWay) throws InterruptedException {
    ReplicaDigest computed = ReplicaDigest.EMPTY;
    long bytes = 0;
    long paced = 0;
    try (CursorIterable<byte[]> it = data.iterate(txn, KeyRange.all())) {
      for (CursorIterable.KeyVal<byte[]> kv : it) {
        computed = computed.plus(PairHash.of(kv.key(), kv.val()));
        bytes += kv.key().length + kv.val().length;
        if (bytes - paced >= PACE_BYTES) {
          paced = bytes;
          if (!pacer.pace(bytes) || giveWay.getAsBoolean()) {
            return new ScrubResult(at, stored, Optional.empty(), bytes);
          }
        }
      }
    }
    return new ScrubResult(at, stored, Optional.of(computed), bytes);
  }
}
