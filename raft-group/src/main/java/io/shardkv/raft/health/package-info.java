/**
 * Replica health: comparing replicas' digests (Admin VerifyShard, invariant 10), the scrubber
 * that re-reads each replica against its digest, and the watch for a replica wedged at its
 * group's first entry. Finds and reports; the repairs it asks for are the host's to carry out.
 * Must not depend on the host or the control plane.
 */
package io.shardkv.raft.health;
