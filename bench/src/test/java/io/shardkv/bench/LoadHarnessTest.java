package io.shardkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load generator once, tiny, against a real one-node shardkv (every workload) and, if an
 * etcd binary is installed, side by side with a one-member etcd: it must not rot, and its
 * numbers are not checked (this is not a timed test).
 */
class LoadHarnessTest {
  @TempDir
  static Path dir;
  private static ShardkvCluster shardkv;
  private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

  @BeforeAll
  static void startShardkv() throws Exception {
    shardkv = new ShardkvCluster(dir.resolve("shardkv"), 1, 4, "256m", "");
    shardkv.startAll(Duration.ofSeconds(90));
  }

  @AfterAll
  static void stopShardkv() {
    if (shardkv != null) {
      shardkv.close();
    }
  }

  private static Workload tiny(Workload.Kind kind, boolean stale) {
    return new Workload(kind, 50, stale, 128, 40, 3, 2, Duration.ZERO, 30, 10);
  }

  @Test
  void runsEveryWorkloadAgainstShardkvAndCountsEveryCall() throws Exception {
    LoadGenerator generator = new LoadGenerator(false, QUIET);
    List<LoadResult> results = new ArrayList<>();
    try (KvTarget target = new ShardkvTarget(shardkv.addresses(), 2)) {
      generator.preload(target, tiny(Workload.Kind.GET, false));
      for (Workload w : List.of(tiny(Workload.Kind.PUT, false), tiny(Workload.Kind.GET, false),
          tiny(Workload.Kind.GET, true), tiny(Workload.Kind.MIXED, false), tiny(Workload.Kind.SCAN, false))) {
        results.add(generator.run(target, w));
      }
    }
    assertThat(results).allSatisfy(r -> {
      assertThat(r.errors()).as(r.workload() + " errors: " + r.firstError()).isZero();
      assertThat(r.ops()).isEqualTo(30);
      assertThat(r.p50Ms()).isPositive().isLessThanOrEqualTo(r.p99Ms());
      assertThat(r.p99Ms()).isLessThanOrEqualTo(r.maxMs());
    });
    assertThat(results).extracting(LoadResult::workload)
        .containsExactly("put", "get", "get-stale", "mixed-50w", "scan-10");
    assertThat(ResultTable.table(results)).contains("| shardkv | scan-10 | 3 | 30 | 0 |");
    assertThat(results.get(0).toJson()).startsWith("{\"target\":\"shardkv\",\"workload\":\"put\"")
        .contains("\"p999_ms\":");
  }

  @Test
  void durationBoundRunStopsByItself() throws Exception {
    Workload w = new Workload(Workload.Kind.PUT, 0, false, 64, 10, 2, 1, Duration.ofMillis(300), 0, 1);
    try (KvTarget target = new ShardkvTarget(shardkv.addresses(), 1)) {
      LoadResult r = new LoadGenerator(false, QUIET).run(target, w);
      assertThat(r.seconds()).isGreaterThanOrEqualTo(0.3);
      assertThat(r.ops() + r.errors()).isPositive();
    }
  }

  @Test
  void comparesShardkvWithEtcdInOneRun() throws Exception {
    Optional<String> etcd = EtcdCluster.findBinary();
    assumeTrue(etcd.isPresent(), "no etcd binary on the PATH (Debian: apt-get install etcd-server): "
        + "the etcd side of the load generator is not exercised");
    try (EtcdCluster cluster = new EtcdCluster(dir.resolve("etcd"), etcd.get(), 1)) {
      cluster.startAll(Duration.ofSeconds(60));
      try (KvTarget s = new ShardkvTarget(shardkv.addresses(), 2);
          KvTarget e = new EtcdTarget(cluster.endpoints(), 2)) {
        List<LoadResult> results = new Comparison(new LoadGenerator(false, QUIET), QUIET)
            .run(List.of(s, e), List.of(tiny(Workload.Kind.PUT, false), tiny(Workload.Kind.SCAN, true),
                tiny(Workload.Kind.GET, false)), List.of(1, 3));
        assertThat(results).hasSize(12).allSatisfy(r -> assertThat(r.errors()).as(r.firstError()).isZero());
        String table = ResultTable.comparison(results);
        assertThat(table.lines()).hasSize(2 + 6);
        assertThat(table).containsPattern("\\| put \\| 3 \\| \\d+ \\| \\d+ \\| \\d+\\.\\d\\d \\|");
      }
    }
  }
}
