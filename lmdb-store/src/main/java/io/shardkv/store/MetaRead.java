package io.shardkv.store;

/**
 * The result of reading the applied-index meta record. Reading never throws for a bad value:
 * a store whose meta cannot be trusted must fall back to a restore, not fail to start.
 */
public sealed interface MetaRead {

  /** A well-formed record. */
  record Present(AppliedIndex index) implements MetaRead {}

  /** No record: the store never applied an entry (or the record was removed). */
  record Missing() implements MetaRead {}

  /** A record that does not decode; {@code reason} says why. */
  record Corrupt(String reason) implements MetaRead {}
}
