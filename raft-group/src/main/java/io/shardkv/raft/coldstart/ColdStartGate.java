package io.shardkv.raft.coldstart;

import io.shardkv.raft.coldstart.ColdStartDecision.Outcome;
import io.shardkv.raft.coldstart.ColdStartDecision.Reason;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.MetaRead;
import java.util.Optional;

/**
 * The one place that decides, per group at start, whether restoring the snapshot can be skipped
 * (DESIGN invariant 6). Skip only when the store's meta M is present, readable and well formed
 * and {@code M.index >= S.index}; anything else restores, with exactly one reason. Never skip on
 * doubt.
 */
public final class ColdStartGate {

  public ColdStartDecision decide(StoreProbe probe, Optional<AppliedIndex> snapshot) {
    if (probe instanceof StoreProbe.NoStore) {
      return restore(Reason.NO_STORE, Optional.empty(), snapshot);
    }
    if (probe instanceof StoreProbe.Unreadable) {
      return restore(Reason.READ_ERROR, Optional.empty(), snapshot);
    }
    MetaRead meta = ((StoreProbe.Opened) probe).meta();
    if (meta instanceof MetaRead.Missing) {
      return restore(Reason.MISSING_META, Optional.empty(), snapshot);
    }
    if (meta instanceof MetaRead.Corrupt) {
      return restore(Reason.CORRUPT_META, Optional.empty(), snapshot);
    }
    AppliedIndex m = ((MetaRead.Present) meta).index();
    if (snapshot.isPresent() && m.index() < snapshot.get().index()) {
      return restore(Reason.BEHIND_SNAPSHOT, Optional.of(m), snapshot);
    }
    return new ColdStartDecision(Outcome.SKIPPED, Optional.empty(), Optional.of(m), snapshot);
  }

  private static ColdStartDecision restore(Reason reason, Optional<AppliedIndex> durable,
      Optional<AppliedIndex> snapshot) {
    return new ColdStartDecision(Outcome.RESTORED, Optional.of(reason), durable, snapshot);
  }
}
