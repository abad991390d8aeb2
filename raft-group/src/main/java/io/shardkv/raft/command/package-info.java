/**
 * What a Raft command means: turns the command and query encoding ({@code shardkv.raft.v1}) into
 * store operations and their results back into the encoding, the same for the state machine,
 * local reads and the in-memory fake. Pure: depends only on api-proto and lmdb-store, never on
 * Ratis.
 */
package io.shardkv.raft.command;
