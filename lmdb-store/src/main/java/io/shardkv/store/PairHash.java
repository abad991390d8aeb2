package io.shardkv.store;

import com.google.common.hash.HashCode;
import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;

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
  private static final HashFunction MURMUR = Hashing.murmur3_128(SEED);

  /** The hash of the pair ({@code key}, {@code value}). */
  public static PairHash of(byte[] key, byte[] value) {
    HashCode code = MURMUR.newHasher(4 + key.length + value.length)
        .putInt(key.length).putBytes(key).putBytes(value).hash();
    byte[] b = code.asBytes();
    return new PairHash(littleEndianLong(b, 8), littleEndianLong(b, 0));
  }

  private static long littleEndianLong(byte[] b, int offset) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[offset + i] & 0xFFL);
    }
    return v;
  }
}
