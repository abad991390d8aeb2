package io.shardkv.store;

import java.util.Optional;

/**
 * Reports how far a store has durably applied its group's log. Empty means "missing": the
 * store has never applied anything, or its meta record cannot be trusted.
 */
public interface AppliedIndexReader {
  Optional<AppliedIndex> appliedIndex();
}
