package io.shardkv.bench.jmh;

import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ApplyOutcome;
import io.shardkv.store.LmdbShardStore;
import io.shardkv.store.LmdbStoreConfig;
import io.shardkv.store.StoreOp;
import io.shardkv.store.SyncMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The store's apply path: one Raft entry of {@code batchSize} puts (1 KiB values) applied
 * with its index in one LMDB write transaction, per sync mode. One op = one entry; divide by
 * the batch size for the cost per put.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StoreApplyBenchmark {
  /** Keys cycle over this many, so the file stops growing and later rounds overwrite. */
  private static final int KEY_SPACE = 50_000;

  @Param({"1", "100", "1000"})
  public int batchSize;

  @Param({"SYNC", "NOMETASYNC", "NOSYNC"})
  public SyncMode syncMode;

  private Path dir;
  private LmdbShardStore store;
  private final List<List<StoreOp>> entries = new ArrayList<>();
  private long index;
  private int next;

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory("store-apply-");
    store = LmdbShardStore.open(dir, new LmdbStoreConfig(syncMode, 256L << 20, 64L << 30, 126));
    // Operations built once, so the benchmark measures the apply, not the allocation of ops.
    byte[] value = new byte[1024];
    new SplittableRandom(1).nextBytes(value);
    for (int e = 0; e < Math.max(1, KEY_SPACE / batchSize); e++) {
      List<StoreOp> ops = new ArrayList<>(batchSize);
      for (int i = 0; i < batchSize; i++) {
        byte[] key = String.format("k/%08d", (e * batchSize + i) % KEY_SPACE).getBytes(StandardCharsets.US_ASCII);
        ops.add(new StoreOp.Put(key, value));
      }
      entries.add(List.copyOf(ops));
    }
  }

  @Benchmark
  public ApplyOutcome applyEntry() {
    List<StoreOp> ops = entries.get(next);
    next = (next + 1) % entries.size();
    return store.apply(ops, new AppliedIndex(1, ++index));
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    store.close();
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
