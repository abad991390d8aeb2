package io.shardkv.raft.replica;

import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ReplicaDigest;

/**
 * A replica's digest right after it applied the entry at {@code at}.
 *
 * @param at the entry's (term, index)
 * @param digest the digest of the replica's whole data after that entry
 */
public record DigestPoint(AppliedIndex at, ReplicaDigest digest) {}
