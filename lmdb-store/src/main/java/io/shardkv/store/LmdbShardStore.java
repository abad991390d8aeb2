package io.shardkv.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.CopyFlags;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.KeyRange;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard replica's store: an LMDB environment with a {@code data} database for the keys and
 * a {@code meta} database holding the applied index (owned by {@link AppliedIndexMeta}) and the
 * replica digest (owned by {@link ReplicaDigestRecord}), both written in the transaction that
 * writes the data. The store owns the environment, its locks and its size; what one apply does
 * inside its write transaction is {@link LmdbWritePath}'s, a scrub pass {@link LmdbScrub}'s.
 *
 * <p>Lock order: {@code writeMonitor} (single writer) before {@code resizeLock}. Every
 * transaction holds {@code resizeLock} shared; growing the map holds it exclusively, because
 * LMDB may only change the map size while this process has no open transaction.
 */
public final class LmdbShardStore implements ShardStore {
  private static final Logger LOG = LoggerFactory.getLogger(LmdbShardStore.class);
  static final String DATA_FILE = "data.mdb";
  /** LMDB's compile-time key limit (MDB_MAXKEYSIZE) in the bundled build. */
  public static final int MAX_KEY_BYTES = 511;

  private final Path dir;
  private final LmdbStoreConfig config;
  private final Env<byte[]> env;
  private final Dbi<byte[]> data;
  private final AppliedIndexMeta meta;
  private final LmdbWritePath writes;
  private final Object writeMonitor = new Object();
  private final ReentrantReadWriteLock resizeLock = new ReentrantReadWriteLock();
  private volatile long mapSize;
  private volatile boolean closed;
  /** Test seam: runs inside the write transaction just before commit. */
  private volatile Runnable beforeCommit = () -> {};

  private final CrashPoints crashPoints;

  private LmdbShardStore(Path dir, LmdbStoreConfig config, Env<byte[]> env, long mapSize,
      CrashPoints crashPoints) {
    this.crashPoints = crashPoints;
    this.dir = dir;
    this.config = config;
    this.env = env;
    this.mapSize = mapSize;
    // LMDB orders keys by memcmp (unsigned); lmdbjava's range iteration compares on the Java
    // side with the proxy's default, which is signed for byte[]. Pass the unsigned order so
    // both sides agree (the native comparator stays LMDB's own: false = no Java callback).
    this.data = env.openDbi("data", ByteOrder.UNSIGNED, false, DbiFlags.MDB_CREATE);
    Dbi<byte[]> metaDb = env.openDbi("meta", DbiFlags.MDB_CREATE);
    this.meta = new AppliedIndexMeta(metaDb);
    this.writes = new LmdbWritePath(dir, data, meta, new ReplicaDigestRecord(metaDb), crashPoints);
  }

  /** Opens the environment in {@code dir}, creating the directory and databases if needed. */
  public static LmdbShardStore open(Path dir, LmdbStoreConfig config) throws IOException {
    return open(dir, config, CrashPoints.disabled());
  }

  /** As {@link #open(Path, LmdbStoreConfig)}, with fault injection for crash tests. */
  public static LmdbShardStore open(Path dir, LmdbStoreConfig config, CrashPoints crashPoints)
      throws IOException {
    LmdbNativeLibrary.install();
    Files.createDirectories(dir);
    Path file = dir.resolve(DATA_FILE);
    // Keep a map that was grown earlier: never open smaller than the file already is.
    long existing = Files.exists(file) ? Files.size(file) : 0;
    long size = Math.max(config.initialMapSizeBytes(), existing);
    Set<EnvFlags> flags = EnumSet.of(EnvFlags.MDB_NOTLS);
    switch (config.syncMode()) {
      case NOMETASYNC -> flags.add(EnvFlags.MDB_NOMETASYNC);
      case NOSYNC -> flags.add(EnvFlags.MDB_NOSYNC);
      case SYNC -> { }
    }
    try {
      Env<byte[]> env = Env.create(ByteArrayProxy.PROXY_BA)
          .setMapSize(size)
          .setMaxDbs(2)
          .setMaxReaders(config.maxReaders())
          .open(dir.toFile(), flags.toArray(new EnvFlags[0]));
      LmdbShardStore store = new LmdbShardStore(dir, config, env, size, crashPoints);
      try {
        store.ensureDigest();
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
      return store;
    } catch (LmdbException e) {
      throw new IOException("cannot open LMDB environment in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The directory holding this environment. */
  public Path directory() {
    return dir;
  }

  /**
   * A store written before replica digests existed has data but no digest record: compute it
   * once, by a full scan, so that every later write can keep it current. An empty store simply
   * starts from the empty digest.
   */
  private void ensureDigest() {
    synchronized (writeMonitor) {
      withTxnLock(() -> {
        long start = System.nanoTime();
        long pairs;
        try (Txn<byte[]> txn = env.txnWrite()) {
          pairs = writes.ensureDigestInWriteTxn(txn);
        }
        if (pairs > 0) {
          LOG.info("replica digest of {} computed for the first time: {} pairs in {} ms", dir, pairs,
              (System.nanoTime() - start) / 1_000_000);
        }
        return null;
      });
    }
  }

  @Override
  public List<ApplyOutcome> applyBatch(List<LogEntryOps> entries) {
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    synchronized (writeMonitor) {
      while (true) {
        try {
          List<ApplyOutcome> outcomes = applyOnce(entries);
          crashPoints.reached(CrashPoints.AFTER_APPLY_COMMIT);
          return outcomes;
        } catch (Env.MapFullException e) {
          grow(e); // the failed transaction was aborted whole; retry it in a larger map
        } catch (LmdbException e) {
          throw new StoreException("apply of " + entries.size() + " entries up to "
              + entries.get(entries.size() - 1).at() + " failed in " + dir + ": " + e.getMessage(), e);
        }
      }
    }
  }

  private List<ApplyOutcome> applyOnce(List<LogEntryOps> entries) {
    return withTxnLock(() -> {
      try (Txn<byte[]> txn = env.txnWrite()) {
        return writes.applyInWriteTxn(txn, entries, beforeCommit);
      }
    });
  }

  private void grow(Env.MapFullException cause) {
    long next = Math.min(mapSize * 2, config.maxMapSizeBytes());
    if (next <= mapSize) {
      throw new StoreException("LMDB map in " + dir + " is full at " + mapSize
          + " bytes, the configured maximum (shardkv.store.max-map-size); the entry was not applied",
          cause);
    }
    resizeLock.writeLock().lock();
    try {
      env.setMapSize(next);
      LOG.info("LMDB map in {} grown from {} to {} bytes", dir, mapSize, next);
      mapSize = next;
    } catch (LmdbException e) {
      throw new StoreException("could not grow LMDB map in " + dir + " to " + next + " bytes", e);
    } finally {
      resizeLock.writeLock().unlock();
    }
  }

  @Override
  public Optional<byte[]> get(byte[] key) {
    if (key.length == 0 || key.length > MAX_KEY_BYTES) {
      return Optional.empty();
    }
    return withTxnLock(() -> {
      try (Txn<byte[]> txn = env.txnRead()) {
        return Optional.ofNullable(data.get(txn, key));
      }
    });
  }

  @Override
  public ScanPage scan(byte[] start, byte[] end, int limit) {
    KeyRange<byte[]> range = KeyRanges.scan(start, end);
    return withTxnLock(() -> {
      List<KeyValue> kvs = new ArrayList<>();
      try (Txn<byte[]> txn = env.txnRead(); CursorIterable<byte[]> it = data.iterate(txn, range)) {
        for (CursorIterable.KeyVal<byte[]> kv : it) {
          if (kvs.size() == limit) {
            return new ScanPage(kvs, true);
          }
          kvs.add(new KeyValue(kv.key(), kv.val()));
        }
      }
      return new ScanPage(kvs, false);
    });
  }

  @Override
  public Optional<AppliedIndex> appliedIndex() {
    return readMeta() instanceof MetaRead.Present p ? Optional.of(p.index()) : Optional.empty();
  }

  /** The meta record as stored: present, missing or corrupt (the cold-start gate needs which). */
  public MetaRead readMeta() {
    return withTxnLock(() -> {
      try (Txn<byte[]> txn = env.txnRead()) {
        return meta.read(txn);
      }
    });
  }

  /** The stored replica digest and the applied index it belongs to, from one read transaction. */
  public DigestAt digest() {
    return withTxnLock(() -> {
      try (Txn<byte[]> txn = env.txnRead()) {
        return new DigestAt(presentIndex(meta.read(txn)), writes.readDigest(txn));
      }
    });
  }

  /**
   * Recomputes the digest from every key/value pair of one consistent view and returns it with
   * the digest stored in that same view, to catch what LMDB cannot see (it has no checksums): a
   * flipped bit in the data file. The scan holds one read transaction; it gives way (returns
   * without a computed digest) as soon as the store needs its map resized or is closing, both of
   * which must wait for open transactions.
   */
  public ScrubResult scrub(ScrubPacer pacer) throws InterruptedException {
    resizeLock.readLock().lock();
    try {
      if (closed) {
        throw new StoreClosedException("store in " + dir + " is closed");
      }
      try (Txn<byte[]> txn = env.txnRead()) {
        return LmdbScrub.inReadTxn(txn, data, presentIndex(meta.read(txn)), writes.readDigest(txn), pacer,
            resizeLock::hasQueuedThreads);
      }
    } finally {
      resizeLock.readLock().unlock();
    }
  }

  private static Optional<AppliedIndex> presentIndex(MetaRead read) {
    return read instanceof MetaRead.Present p ? Optional.of(p.index()) : Optional.empty();
  }

  /**
   * Bump before save (DESIGN invariant 4): makes the meta record at least {@code at} (it never
   * moves back) and flushes the environment to disk whatever the sync mode. Returns the durable
   * meta. Throws if the flush fails, which must abort the snapshot being taken.
   */
  public AppliedIndex pinAt(AppliedIndex at) {
    try {
      synchronized (writeMonitor) {
        withTxnLock(() -> {
        try (Txn<byte[]> txn = env.txnWrite()) {
          if (meta.advanceInWriteTxn(txn, at)) {
            txn.commit();
          }
        }
        crashPoints.reached(CrashPoints.DURING_PIN_FLUSH);
        env.sync(true);
        return null;
      });
      }
    } catch (LmdbException e) {
      throw new StoreException("pin at " + at + " failed in " + dir + ": " + e.getMessage(), e);
    }
    return appliedIndex().orElseThrow(() -> new StoreException("meta unreadable after pin in " + dir));
  }

  /** Flushes every commit to disk now, whatever the sync mode (fsync). */
  public void syncToDisk() {
    withTxnLock(() -> {
      env.sync(true);
      return null;
    });
  }

  /**
   * Writes a compacted copy of the environment (a consistent read-transaction view) into
   * {@code targetDir}, which must exist and be empty.
   */
  public void copyCompactedTo(Path targetDir) {
    withTxnLock(() -> {
      env.copy(targetDir.toFile(), CopyFlags.MDB_CP_COMPACT);
      return null;
    });
  }

  /** Current map size in bytes (grows on demand up to the configured maximum). */
  public long mapSizeBytes() {
    return mapSize;
  }

  /** Bytes of the map in use (pages up to the last one written). */
  public long usedBytes() {
    return withTxnLock(() -> (env.info().lastPageNumber + 1) * (long) env.stat().pageSize);
  }

  /** Installs a test hook that runs inside every write transaction just before it commits. */
  void beforeCommitForTest(Runnable hook) {
    this.beforeCommit = hook;
  }

  private <T> T withTxnLock(Supplier<T> action) {
    resizeLock.readLock().lock();
    try {
      if (closed) {
        throw new StoreClosedException("store in " + dir + " is closed");
      }
      return action.get();
    } finally {
      resizeLock.readLock().unlock();
    }
  }

  @Override
  public void close() {
    resizeLock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        env.close();
      }
    } finally {
      resizeLock.writeLock().unlock();
    }
  }
}
