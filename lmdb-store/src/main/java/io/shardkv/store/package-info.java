/**
 * One shard replica's storage: an LMDB environment with a data and a meta database, where one
 * write transaction applies a run of entries together with the last one's {@code (term, index)}
 * and the replica digest (DESIGN invariants 1-3, 10); the durable applied index, compacting copy
 * and restore, and the in-memory fake beside the {@link io.shardkv.store.ShardStore} interface.
 * The bottom of the module graph: no Ratis, no gRPC, no other shardkv module.
 */
package io.shardkv.store;
