/**
 * The control plane for one node, wired and started in one place ({@link
 * io.shardkv.control.ControlPlane}): the cluster map, joining, the placement controller, leader
 * balancing and drains. It reaches the shards only through raft-group's host API, and nothing in
 * raft-group, the router or the store may depend on it.
 */
package io.shardkv.control;
