/**
 * The cold-start gate (DESIGN invariant 6): the one place that decides, per group at start,
 * whether the store can be used as it is or a snapshot must be restored, and for which single
 * reason. Pure decisions over what the store and the artifacts say; depends only on lmdb-store.
 */
package io.shardkv.raft.coldstart;
