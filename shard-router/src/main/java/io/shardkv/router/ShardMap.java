package io.shardkv.router;

import java.util.zip.CRC32C;

/**
 * Maps a key to the shard that owns it.
 *
 * <p>The mapping is part of the cluster's durable contract: data already written lives in the
 * shard this function chose, so it must give the same answer in every process, language and
 * version. It is therefore a documented function, not {@code hashCode}: the CRC32C (Castagnoli,
 * the checksum of iSCSI/ext4/LevelDB) of the key bytes, taken as an unsigned 32-bit number,
 * modulo the shard count. Any language can reproduce it; e.g. {@code "123456789"} has CRC32C
 * {@code 0xE3069283}.
 */
public final class ShardMap {
  private final int shardCount;

  /** A map over {@code shardCount} shards, numbered {@code 0 .. shardCount-1}. */
  public ShardMap(int shardCount) {
    if (shardCount < 1) {
      throw new IllegalArgumentException("shardCount must be >= 1: " + shardCount);
    }
    this.shardCount = shardCount;
  }

  /** Number of shards keys are spread over. */
  public int shardCount() {
    return shardCount;
  }

  /** The shard owning {@code key}: {@code CRC32C(key) mod shardCount}, CRC read unsigned. */
  public int shardOf(byte[] key) {
    // A fresh CRC32C per call: it is cheap and keeps this class free of shared mutable state.
    CRC32C crc = new CRC32C();
    crc.update(key, 0, key.length);
    // getValue() already returns the 32-bit CRC as a non-negative long, i.e. unsigned.
    return (int) (crc.getValue() % shardCount);
  }

  @Override
  public String toString() {
    return "ShardMap[crc32c mod " + shardCount + "]";
  }
}
