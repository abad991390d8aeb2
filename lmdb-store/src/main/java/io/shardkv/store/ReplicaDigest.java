package io.shardkv.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * An order-independent digest of a replica's whole data (DESIGN invariant 10): the sum, modulo
 * 2^128, of one 128-bit hash per key/value pair ({@link PairHash}), and the number of pairs.
 * Adding a pair adds its hash, removing or overwriting one subtracts the old pair's, so the
 * digest follows every write without a scan, and two replicas that hold the same pairs have the
 * same digest whatever order the pairs arrived in.
 *
 * @param high the upper 64 bits of the sum
 * @param low the lower 64 bits of the sum
 * @param pairs how many key/value pairs the data holds
 */
public record ReplicaDigest(long high, long low, long pairs) {
  /** The digest of no data. */
  public static final ReplicaDigest EMPTY = new ReplicaDigest(0, 0, 0);

  /** This digest with the pair whose hash is {@code h} added. */
  public ReplicaDigest plus(PairHash h) {
    long sumLow = low + h.low();
    long carry = Long.compareUnsigned(sumLow, low) < 0 ? 1 : 0;
    return new ReplicaDigest(high + h.high() + carry, sumLow, pairs + 1);
  }

  /** This digest with the pair whose hash is {@code h} removed. */
  public ReplicaDigest minus(PairHash h) {
    long borrow = Long.compareUnsigned(low, h.low()) < 0 ? 1 : 0;
    return new ReplicaDigest(high - h.high() - borrow, low - h.low(), pairs - 1);
  }

  /** The sum as 32 hex digits (big-endian), the form logs and the admin API show. */
  public String hex() {
    return String.format(Locale.ROOT, "%016x%016x", high, low);
  }

  /** The sum as 16 bytes, big-endian. */
  public byte[] sumBytes() {
    return ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putLong(high).putLong(low).array();
  }

  @Override
  public String toString() {
    return hex() + "/" + pairs;
  }
}
