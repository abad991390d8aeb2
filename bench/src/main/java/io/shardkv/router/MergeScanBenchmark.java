package io.shardkv.router;

import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.KeyValuePair;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.api.raft.v1.ScanResult;
import io.shardkv.api.v1.ScanResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The router's merge scan: every shard's sorted page merged into one page of {@code limit}
 * keys ({@code ScanFanOut.page}). It lives in the router's package, in the bench module,
 * because the merge is package-private: benchmarked where it is, not widened for the benchmark.
 * Keys are spread over shards like hashed keys are: each shard holds every shards-th key.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MergeScanBenchmark {
  @Param({"4", "16"})
  public int shards;

  @Param({"100", "10000"})
  public int limit;

  private List<RaftQueryResult> pages;

  @Setup
  public void pages() {
    ByteString value = ByteString.copyFrom(new byte[100]);
    pages = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      ScanResult.Builder page = ScanResult.newBuilder().setMore(true);
      // Each shard returns a full page of `limit` keys, as a real shard does for a big range.
      for (int i = 0; i < limit; i++) {
        String key = String.format("key/%010d", (long) i * shards + s);
        page.addKvs(KeyValuePair.newBuilder().setKey(ByteString.copyFrom(key, StandardCharsets.US_ASCII)).setValue(value));
      }
      pages.add(RaftQueryResult.newBuilder().setScan(page).build());
    }
  }

  @Benchmark
  public ScanResponse mergePage() {
    return ScanFanOut.page(pages, limit);
  }
}
