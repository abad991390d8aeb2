package io.shardkv.raft.replica;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.snapshot.SnapshotArtifact;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.LmdbShardStore;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The per-shard gauges operators watch (applied, durable and snapshot index; snapshot size; LMDB
 * map size and use), read from one replica when scraped. Unknown values read -1 rather than
 * failing the scrape, e.g. while a snapshot install has the store closed.
 */
final class ShardGauges {
  private ShardGauges() {}

  /** Registers (or re-registers, when the group is re-added) the gauges for {@code sm}. */
  static void register(MetricRegistry metrics, ShardStateMachine sm, Supplier<LmdbShardStore> store) {
    int shard = sm.shard();
    replace(metrics, MetricNames.appliedIndex(shard), () -> {
      var applied = sm.getLastAppliedTermIndex();
      return applied == null ? -1L : applied.getIndex();
    });
    replace(metrics, MetricNames.durableAppliedIndex(shard),
        () -> sm.durableAppliedIndex().map(AppliedIndex::index).orElse(-1L));
    replace(metrics, MetricNames.snapshotIndex(shard), () -> fromLatestArtifact(sm, a -> a.index().index()));
    replace(metrics, MetricNames.snapshotSizeBytes(shard), () -> fromLatestArtifact(sm, a -> Files.size(a.dataFile())));
    replace(metrics, MetricNames.storeMapSizeBytes(shard), () -> fromStore(store, LmdbShardStore::mapSizeBytes));
    replace(metrics, MetricNames.storeUsedBytes(shard), () -> fromStore(store, LmdbShardStore::usedBytes));
  }

  /** Removes this shard's gauges (its replica left the node). */
  static void unregister(MetricRegistry metrics, int shard) {
    for (String name : List.of(MetricNames.appliedIndex(shard), MetricNames.durableAppliedIndex(shard),
        MetricNames.snapshotIndex(shard), MetricNames.snapshotSizeBytes(shard),
        MetricNames.storeMapSizeBytes(shard), MetricNames.storeUsedBytes(shard))) {
      metrics.remove(name);
    }
  }

  /** A number read from the newest snapshot artifact; -1 if there is none or it cannot be read. */
  private interface ArtifactReading {
    long read(SnapshotArtifact artifact) throws IOException;
  }

  private static long fromLatestArtifact(ShardStateMachine sm, ArtifactReading reading) {
    try {
      Optional<SnapshotArtifact> latest = sm.latestArtifact();
      return latest.isPresent() ? reading.read(latest.get()) : -1L;
    } catch (IOException e) {
      return -1L;
    }
  }

  private static long fromStore(Supplier<LmdbShardStore> store, ToLongFunction<LmdbShardStore> read) {
    LmdbShardStore s = store.get();
    try {
      return s == null ? -1L : read.applyAsLong(s);
    } catch (RuntimeException e) {
      return -1L; // closed concurrently
    }
  }

  private static void replace(MetricRegistry metrics, String name, Gauge<Long> gauge) {
    // A re-added group gets a new state machine: the old gauge would read the closed one.
    metrics.remove(name);
    metrics.register(name, gauge);
  }
}
