/**
 * How a node that is placed on a shard but holds no copy of its group starts hosting it safely:
 * ask the other nodes, then create, join or skip. Depends only on topology and the Ratis
 * plumbing.
 */
package io.shardkv.raft.bootstrap;
