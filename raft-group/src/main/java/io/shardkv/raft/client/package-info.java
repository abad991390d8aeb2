/**
 * The contract callers (the router, the service) use to reach a shard group: {@link
 * io.shardkv.raft.client.ShardGroupClient}, its two failure types and read consistency, its
 * in-memory fake, and the proposal coalescer that batches concurrent commands over any
 * implementation. Knows no Ratis class and no replica: the Ratis implementation lives in
 * {@code routing}.
 */
package io.shardkv.raft.client;
