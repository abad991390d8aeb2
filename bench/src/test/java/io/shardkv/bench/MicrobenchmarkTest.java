package io.shardkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Both JMH benchmarks once, through JMH itself (the generated stubs and BenchmarkList the
 * annotation processor wrote), in this JVM, one short iteration, one parameter point each.
 */
class MicrobenchmarkTest {
  @Test
  void everyBenchmarkRunsOnce() throws Exception {
    Options options = new OptionsBuilder()
        .include("StoreApplyBenchmark|MergeScanBenchmark")
        .param("batchSize", "10").param("syncMode", "NOSYNC")
        .param("shards", "4").param("limit", "100")
        .forks(0).warmupIterations(0).measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(200))
        .shouldFailOnError(true)
        .build();
    Collection<RunResult> results = new Runner(options).run();
    assertThat(results).hasSize(2).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
  }
}
