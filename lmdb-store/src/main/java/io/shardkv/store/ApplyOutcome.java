package io.shardkv.store;

import java.util.List;
import java.util.Optional;

/**
 * What {@link ShardStore#apply} did. {@code applied} is false when the entry's index was at or
 * below the stored meta (already applied, e.g. replayed after a restart): then nothing was
 * written, {@code results} is empty and there is no digest.
 *
 * @param digestAfter the replica digest of the whole store right after this entry (DESIGN
 *     invariant 10), for an applied entry; it became durable with the transaction that held it
 */
public record ApplyOutcome(boolean applied, List<OpResult> results, Optional<ReplicaDigest> digestAfter) {
  public ApplyOutcome {
    results = List.copyOf(results);
  }

  public static ApplyOutcome alreadyApplied() {
    return new ApplyOutcome(false, List.of(), Optional.empty());
  }

  /** An applied entry's outcome. */
  public static ApplyOutcome applied(List<OpResult> results, ReplicaDigest digestAfter) {
    return new ApplyOutcome(true, results, Optional.of(digestAfter));
  }
}
