package io.shardkv.store;

import java.util.List;

/**
 * The store operations one log entry carries, with the entry's {@code (term, index)}. An entry
 * without data (leader no-op, configuration) has no operations but still advances the meta
 * record (DESIGN invariant 2).
 */
public record LogEntryOps(AppliedIndex at, List<StoreOp> ops) {
  public LogEntryOps {
    ops = List.copyOf(ops);
  }
}
