package io.shardkv.store;

import org.lmdbjava.Dbi;
import org.lmdbjava.Txn;

/**
 * Owns the applied-index meta record of one LMDB environment: the only code that reads or
 * writes it. Writes happen only inside the caller's write transaction, the same one that
 * carries the entry's data (DESIGN invariant 1), and never move the record backwards
 * (invariant 3).
 */
final class AppliedIndexMeta {
  private final Dbi<byte[]> metaDb;

  AppliedIndexMeta(Dbi<byte[]> metaDb) {
    this.metaDb = metaDb;
  }

  MetaRead read(Txn<byte[]> txn) {
    return MetaSchema.decode(metaDb.get(txn, MetaSchema.KEY));
  }

  /**
   * Writes {@code at} in the caller's open write transaction, unless the stored record is
   * already at or past it. Returns whether it wrote.
   */
  boolean advanceInWriteTxn(Txn<byte[]> writeTxn, AppliedIndex at) {
    MetaRead current = read(writeTxn);
    if (current instanceof MetaRead.Present p && at.index() <= p.index().index()) {
      return false;
    }
    metaDb.put(writeTxn, MetaSchema.KEY, MetaSchema.encode(at));
    return true;
  }
}
