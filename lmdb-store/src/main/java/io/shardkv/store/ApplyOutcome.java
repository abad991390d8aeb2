package io.shardkv.store;

import java.util.List;

/**
 * What {@link ShardStore#apply} did. {@code applied} is false when the entry's index was at or
 * below the stored meta (already applied, e.g. replayed after a restart): then nothing was
 * written and {@code results} is empty.
 */
public record ApplyOutcome(boolean applied, List<OpResult> results) {
  public static ApplyOutcome alreadyApplied() {
    return new ApplyOutcome(false, List.of());
  }
}
