package io.shardkv.store;

/**
 * Settings of one shard's LMDB environment.
 *
 * @param syncMode how ordinary apply commits are flushed
 * @param initialMapSizeBytes the map size a new environment starts with
 * @param maxMapSizeBytes the map never grows past this; a full map at this size stops the group
 * @param maxReaders concurrent read transactions allowed
 */
public record LmdbStoreConfig(SyncMode syncMode, long initialMapSizeBytes, long maxMapSizeBytes,
    int maxReaders) {

  public LmdbStoreConfig {
    if (initialMapSizeBytes <= 0 || maxMapSizeBytes < initialMapSizeBytes) {
      throw new IllegalArgumentException("need 0 < initial map size <= max map size, got "
          + initialMapSizeBytes + " and " + maxMapSizeBytes);
    }
    if (maxReaders <= 0) {
      throw new IllegalArgumentException("max readers must be > 0, got " + maxReaders);
    }
  }

  /** Defaults for tests and the dev cluster. */
  public static LmdbStoreConfig defaults() {
    return new LmdbStoreConfig(SyncMode.NOMETASYNC, 64L << 20, 64L << 30, 256);
  }
}
