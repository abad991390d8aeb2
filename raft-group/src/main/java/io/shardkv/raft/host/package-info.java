/**
 * One node's Ratis server hosting its replicas of the shard groups: the server, the groups and
 * their life (created, joined, removed, replaced), the client side that reaches every group,
 * readiness, background watchers and repairs, leadership moves and operator actions on groups.
 * {@link io.shardkv.raft.host.ShardGroupHost} is the API the layers above use (the router and
 * service, and the control plane, which runs its cluster map group here as an {@link
 * io.shardkv.raft.host.ExtraGroup}). The top of raft-group: nothing in raft-group depends on it,
 * and it must never depend on the control plane.
 */
package io.shardkv.raft.host;
