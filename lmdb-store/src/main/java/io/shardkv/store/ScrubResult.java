package io.shardkv.store;

import java.util.Optional;

/**
 * One full scan of a replica's data against its stored digest ({@link LmdbShardStore#scrub}).
 *
 * @param at the applied index of the scanned view; empty for a store that has applied nothing
 * @param stored the digest the store keeps current with every write
 * @param computed the digest recomputed from every key/value pair of the same view; empty if the
 *     scan gave way before it finished (the store needed its map resized or was closing)
 * @param bytesScanned key and value bytes hashed
 */
public record ScrubResult(Optional<AppliedIndex> at, ReplicaDigest stored, Optional<ReplicaDigest> computed,
    long bytesScanned) {
  /** True if the scan finished and found the data to match the stored digest. */
  public boolean matches() {
    return computed.isPresent() && computed.get().equals(stored);
  }

  /** True if the scan finished and the data does not match the stored digest. */
  public boolean mismatch() {
    return computed.isPresent() && !computed.get().equals(stored);
  }
}
