package io.shardkv.store;

/**
 * How hard an ordinary apply commit pushes to disk. Acknowledged writes are durable through the
 * Raft log either way; a store that loses its last commits in a crash reports a lower applied
 * index and Ratis replays the rest (see docs/architecture.md, "Durability model").
 */
public enum SyncMode {
  /** fsync data and meta pages on every commit (LMDB default). */
  SYNC,
  /** fsync data pages, skip the meta page fsync (MDB_NOMETASYNC): the last commit may be lost. */
  NOMETASYNC,
  /** no fsync on commit (MDB_NOSYNC): the OS flushes; recent commits may be lost in a crash. */
  NOSYNC;

  /** Parses the config spelling ("sync", "nometasync", "nosync"). */
  public static SyncMode parse(String text) {
    return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "sync" -> SYNC;
      case "nometasync" -> NOMETASYNC;
      case "nosync" -> NOSYNC;
      default -> throw new IllegalArgumentException(
          "sync mode must be one of sync, nometasync, nosync; got '" + text + "'");
    };
  }
}
