/**
 * A shard's snapshot artifacts: taking them without stalling applies (bump before save,
 * invariant 4), keeping them on disk with their own meta (invariant 5), restoring one into the
 * live store, and moving them between nodes (the gRPC transfer service and fetcher). Knows
 * nothing of Ratis, the state machine or the host.
 */
package io.shardkv.raft.snapshot;
