package io.shardkv.store;

/**
 * The 128-bit hash of one key/value pair that {@link ReplicaDigest} sums: MurmurHash3 x64 128
 * (seed {@value #SEED}) over the key's length (4 bytes), the key and the value. The length
 * keeps ("ab", "c") and ("a", "bc") apart. Not cryptographic: the digest detects corruption and
 * divergence, not an adversary. Changing any of this changes every stored digest, so it is
 * versioned with the record ({@link DigestSchema}).
 *
 * @param high the upper 64 bits
 * @param low the lower 64 bits
 */
public record PairHash(long high, long low) {
  static final int SEED = 0x5eed_d16e;

  /** The hash of the pair ({@code key}, {@code value}). */
  public static PairHash of(byte[] key, byte[] value) {
    long[] h = Murmur3Pair.hash(SEED, key, value);
    return new PairHash(h[1], h[0]);
  }
}
