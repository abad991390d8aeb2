package io.shardkv.raft.coldstart;

import io.shardkv.store.MetaRead;

/** What a replica found when it looked at its store at start. */
public sealed interface StoreProbe {
  /** No live store (never created, or its files are gone). */
  record NoStore() implements StoreProbe {}

  /** The store exists but could not be opened or read. */
  record Unreadable(String error) implements StoreProbe {}

  /** The store opened; this is its meta record. */
  record Opened(MetaRead meta) implements StoreProbe {}
}
