/**
 * Ratis plumbing every part that speaks Raft shares: the properties of Raft clients and the TLS
 * parameters of every Raft connection, the one crossing between Ratis's shaded protobuf and
 * ours, walking a failure's cause chain, and shardkv's gRPC transport with its notify-install fix.
 * Depends on nothing else of shardkv.
 */
package io.shardkv.raft.ratis;
