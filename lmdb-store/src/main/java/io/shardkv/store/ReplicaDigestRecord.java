package io.shardkv.store;

import java.util.Optional;
import org.lmdbjava.Dbi;
import org.lmdbjava.Txn;

/**
 * Owns the replica-digest record of one LMDB environment: the only code that reads or writes
 * it. It is written only inside the caller's write transaction, the one that carries the data
 * and the applied-index record (DESIGN invariant 10), so the three can never disagree on disk.
 */
final class ReplicaDigestRecord {
  private final Dbi<byte[]> metaDb;

  ReplicaDigestRecord(Dbi<byte[]> metaDb) {
    this.metaDb = metaDb;
  }

  /** The stored digest, or empty if this store has none yet (written before digests existed). */
  Optional<ReplicaDigest> read(Txn<byte[]> txn) {
    return DigestSchema.decode(metaDb.get(txn, DigestSchema.KEY));
  }

  /** Writes {@code digest} in the caller's open write transaction. */
  void writeInWriteTxn(Txn<byte[]> writeTxn, ReplicaDigest digest) {
    metaDb.put(writeTxn, DigestSchema.KEY, DigestSchema.encode(digest));
  }
}
