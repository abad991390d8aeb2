package io.shardkv.raft.coldstart;

import io.shardkv.store.AppliedIndex;
import java.util.Locale;
import java.util.Optional;

/**
 * The cold-start gate's verdict for one group: skip the restore, or restore for exactly one
 * reason. {@code durable} is the store's meta M if it was readable, {@code snapshot} the newest
 * artifact S if any.
 */
public record ColdStartDecision(Outcome outcome, Optional<Reason> reason,
    Optional<AppliedIndex> durable, Optional<AppliedIndex> snapshot) {

  /** Skip (serve from the store as it is) or restore (rebuild it from the snapshot). */
  public enum Outcome {
    SKIPPED, RESTORED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Why the gate restored. */
  public enum Reason {
    NO_STORE, READ_ERROR, MISSING_META, CORRUPT_META, BEHIND_SNAPSHOT;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public boolean skipped() {
    return outcome == Outcome.SKIPPED;
  }

  /** The reason label, or "none" for a skip (for metrics and logs). */
  public String reasonLabel() {
    return reason.map(Reason::label).orElse("none");
  }
}
