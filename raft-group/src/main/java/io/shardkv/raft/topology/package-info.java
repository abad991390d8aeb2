/**
 * Names and addresses every part agrees on: each shard's Raft group id, where each node
 * listens (and the directory of nodes known so far), and where a new cluster places each shard's
 * replicas. Plain values and a pure placement function; depends on nothing else of shardkv.
 */
package io.shardkv.raft.topology;
