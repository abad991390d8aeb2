/**
 * How a command or read reaches its shard's leader over Ratis: this node's own division when
 * it leads, else the leader's node over the group's Ratis client, resending unchanged so the
 * retry cache deduplicates; linearizable reads on the local replica. Implements the {@code
 * client} contract; must not depend on the host or the control plane.
 */
package io.shardkv.raft.routing;
