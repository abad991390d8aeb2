package io.shardkv.store;

import java.util.Optional;

/**
 * A replica's digest and the applied index it belongs to, read together from one transaction.
 *
 * @param at the applied index; empty for a store that has applied nothing
 * @param digest the digest of the data at that index
 */
public record DigestAt(Optional<AppliedIndex> at, ReplicaDigest digest) {}
