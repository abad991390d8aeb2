/**
 * When a node and each of its replicas may serve after a start: the replica phases
 * (opening, replaying, catching up, serving), the replay budget that bounds how much Raft log a
 * restart must load (and the snapshots that keep it), and the start-up timeline. Decides from
 * observations it is given; never reads Ratis or the replicas itself.
 */
package io.shardkv.raft.readiness;
