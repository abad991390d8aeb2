/**
 * Key-to-shard routing ({@link io.shardkv.router.ShardMap}), the KV calls over the shards' Raft
 * groups including fan-out with ordered merge ({@link io.shardkv.router.KvRouter}), and the
 * node-level minimum-over-shards applied index ({@link io.shardkv.router.MinOverShardsReader}).
 * Reaches shards only through the {@code io.shardkv.raft.client} contract: never Ratis, a
 * replica or the control plane.
 */
package io.shardkv.router;
