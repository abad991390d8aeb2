package io.shardkv.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.KeyRange;
import org.lmdbjava.Txn;

/**
 * The write path of one shard's LMDB store, inside the caller's write transaction: a run of log
 * entries' operations, then the replica digest and the last entry's {@code (term, index)} in
 * that same transaction (DESIGN invariants 1 and 10). Entries at or below the stored index are
 * skipped (invariant 3), and a corrupt meta record stops the apply rather than guess (invariant
 * 8). The caller ({@link LmdbShardStore}) holds the single-writer lock, opens and retries the
 * transaction.
 */
final class LmdbWritePath {
  private static final int DELETE_PREFIX_CHUNK = 10_000;

  private final Path dir;
  private final Dbi<byte[]> data;
  private final AppliedIndexMeta meta;
  private final ReplicaDigestRecord digestRecord;
  private final CrashPoints crashPoints;

  LmdbWritePath(Path dir, Dbi<byte[]> data, AppliedIndexMeta meta, ReplicaDigestRecord digestRecord,
      CrashPoints crashPoints) {
    this.dir = dir;
    this.data = data;
    this.meta = meta;
    this.digestRecord = digestRecord;
    this.crashPoints = crashPoints;
  }

  /**
   * Applies {@code entries} in {@code txn} and commits it, unless every entry was applied
   * before (then nothing is written). {@code beforeCommit} runs just before the commit.
   */
  List<ApplyOutcome> applyInWriteTxn(Txn<byte[]> txn, List<LogEntryOps> entries, Runnable beforeCommit) {
    MetaRead current = meta.read(txn);
    if (current instanceof MetaRead.Corrupt c) {
      // Unknown progress: re-applying could apply an entry twice. Stop rather than guess.
      throw new StoreException("meta record in " + dir + " is corrupt (" + c.reason()
          + "); the store cannot tell which entries it holds");
    }
    long stored = current instanceof MetaRead.Present p ? p.index().index() : -1;
    RunningDigest digest = new RunningDigest(readDigest(txn));
    List<ApplyOutcome> outcomes = new ArrayList<>(entries.size());
    AppliedIndex last = null;
    for (LogEntryOps entry : entries) {
      if (last != null) {
        if (entry.at().index() <= last.index()) {
          throw new IllegalArgumentException("batch not in log order: " + entry.at() + " after " + last);
        }
        crashPoints.reached(CrashPoints.BETWEEN_BATCH_ENTRIES);
      }
      last = entry.at();
      if (entry.at().index() <= stored) {
        outcomes.add(ApplyOutcome.alreadyApplied());
        continue;
      }
      List<OpResult> results = new ArrayList<>(entry.ops().size());
      for (StoreOp op : entry.ops()) {
        results.add(applyOne(txn, op, digest));
      }
      outcomes.add(ApplyOutcome.applied(results, digest.value));
    }
    if (last.index() <= stored) {
      return outcomes; // every entry was replayed: nothing to write
    }
    digestRecord.writeInWriteTxn(txn, digest.value);
    meta.advanceInWriteTxn(txn, last);
    beforeCommit.run();
    txn.commit();
    return outcomes;
  }

  /**
   * A store written before replica digests existed has data but no digest record: computes it
   * in {@code txn}, by a full scan, and commits. Returns the pairs counted, or -1 if the record
   * was there already (nothing written).
   */
  long ensureDigestInWriteTxn(Txn<byte[]> txn) {
    if (digestRecord.read(txn).isPresent()) {
      return -1;
    }
    ReplicaDigest digest = ReplicaDigest.EMPTY;
    try (CursorIterable<byte[]> it = data.iterate(txn, KeyRange.all())) {
      for (CursorIterable.KeyVal<byte[]> kv : it) {
        digest = digest.plus(PairHash.of(kv.key(), kv.val()));
      }
    }
    digestRecord.writeInWriteTxn(txn, digest);
    txn.commit();
    return digest.pairs();
  }

  /** The stored digest; every store has one once opened. */
  ReplicaDigest readDigest(Txn<byte[]> txn) {
    return digestRecord.read(txn).orElseThrow(
        () -> new StoreException("store in " + dir + " has no replica digest record"));
  }

  /** The digest as an apply transaction changes it, pair by pair. */
  private static final class RunningDigest {
    private ReplicaDigest value;

    RunningDigest(ReplicaDigest start) {
      this.value = start;
    }

    void removed(byte[] key, byte[] oldValue) {
      value = value.minus(PairHash.of(key, oldValue));
    }

    void added(byte[] key, byte[] newValue) {
      value = value.plus(PairHash.of(key, newValue));
    }
  }

  private OpResult applyOne(Txn<byte[]> txn, StoreOp op, RunningDigest digest) {
    if (op instanceof StoreOp.Put put) {
      write(txn, put.key(), data.get(txn, put.key()), put.value(), digest);
      return new OpResult.Written();
    } else if (op instanceof StoreOp.Delete delete) {
      byte[] old = data.get(txn, delete.key());
      if (old == null) {
        return new OpResult.Deleted(false);
      }
      digest.removed(delete.key(), old);
      data.delete(txn, delete.key());
      return new OpResult.Deleted(true);
    } else if (op instanceof StoreOp.DeletePrefix dp) {
      return new OpResult.PrefixDeleted(deletePrefix(txn, dp.prefix(), digest));
    } else if (op instanceof StoreOp.CompareAndSet cas) {
      byte[] current = data.get(txn, cas.key());
      boolean matches = cas.expected() == null ? current == null
          : current != null && Arrays.equals(current, cas.expected());
      if (matches) {
        write(txn, cas.key(), current, cas.value(), digest);
        return new OpResult.CompareAndSetOutcome(true, cas.value().clone());
      }
      return new OpResult.CompareAndSetOutcome(false, current);
    }
    throw new IllegalArgumentException("unknown op " + op);
  }

  /** Puts {@code value} over {@code old} (null if absent), keeping the digest in step. */
  private void write(Txn<byte[]> txn, byte[] key, byte[] old, byte[] value, RunningDigest digest) {
    if (old != null) {
      digest.removed(key, old);
    }
    data.put(txn, key, value);
    digest.added(key, value);
  }

  /** Deletes in chunks so a huge prefix never needs all its pairs in memory at once. */
  private long deletePrefix(Txn<byte[]> txn, byte[] prefix, RunningDigest digest) {
    long total = 0;
    while (true) {
      List<byte[]> keys = new ArrayList<>();
      try (CursorIterable<byte[]> it = data.iterate(txn, KeyRanges.from(prefix))) {
        for (CursorIterable.KeyVal<byte[]> kv : it) {
          if (!ByteOrder.hasPrefix(kv.key(), prefix) || keys.size() == DELETE_PREFIX_CHUNK) {
            break;
          }
          keys.add(kv.key());
          digest.removed(kv.key(), kv.val());
        }
      }
      for (byte[] k : keys) {
        data.delete(txn, k);
      }
      total += keys.size();
      if (keys.size() < DELETE_PREFIX_CHUNK) {
        return total;
      }
    }
  }
}
