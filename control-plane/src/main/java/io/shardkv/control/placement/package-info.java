/**
 * Where replicas and leaderships go: the placement controller (on the meta leader) and its pure
 * planner, how a replica move is carried out phase by phase (invariant 11), and each node's
 * leader balancer for a cluster with its creation nodes. Acts on shards through the host's
 * administration only.
 */
package io.shardkv.control.placement;
