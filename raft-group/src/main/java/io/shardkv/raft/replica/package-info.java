/**
 * One shard replica: the Ratis state machine over its LMDB store, group commit (many entries,
 * one write transaction with the last entry's {@code (term, index)}: invariants 1-3, 8), its
 * live store and what replaces it (cold start, install from the leader), its digest history
 * (invariant 10) and its gauges. Must not depend on the host, routing, health or the control
 * plane: they use it, never the reverse.
 */
package io.shardkv.raft.replica;
