package io.shardkv.raft.readiness;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

class StartupTimelineTest {
  @Test
  void eachPhaseIsRecordedOnceInMillisecondsSinceJvmStart() {
    MetricRegistry metrics = new MetricRegistry();
    long jvmStart = System.currentTimeMillis() - 5_000;
    StartupTimeline timeline = new StartupTimeline(jvmStart, metrics);

    timeline.reached("main");
    long first = timeline.millis("main").orElseThrow();
    timeline.reached("main"); // a second report of the same phase changes nothing

    assertThat(first).isBetween(5_000L, 60_000L);
    assertThat(timeline.millis("main")).hasValue(first);
    assertThat(timeline.millis("serving")).isEmpty();
    Gauge<?> gauge = metrics.getGauges().get("shardkv_startup_phase_seconds{phase=main}");
    assertThat(gauge).isNotNull();
    assertThat((Double) gauge.getValue()).isEqualTo(first / 1000.0);
  }

  @Test
  void perShardPhasesAreKeptApart() {
    MetricRegistry metrics = new MetricRegistry();
    StartupTimeline timeline = new StartupTimeline(System.currentTimeMillis(), metrics);

    timeline.reached("shard_initialized", 0);
    timeline.reached("shard_initialized", 1);
    timeline.reached("shard_initialized", 1);

    assertThat(timeline.millis("shard_initialized/0")).isPresent();
    assertThat(timeline.millis("shard_initialized/1")).isPresent();
    assertThat(timeline.millis("shard_initialized/2")).isEmpty();
    assertThat(metrics.getGauges().keySet()).containsExactlyInAnyOrder(
        "shardkv_startup_phase_seconds{phase=shard_initialized,shard=0}",
        "shardkv_startup_phase_seconds{phase=shard_initialized,shard=1}");
  }

  @Test
  void processCpuTimeIsReportedAndGrows() {
    long before = StartupTimeline.processCpuMillis();
    long spin = System.nanoTime();
    double sink = 0;
    while (System.nanoTime() - spin < 50_000_000L) {
      sink += Math.sqrt(sink + 1);
    }
    assertThat(sink).isPositive();
    assertThat(before).isGreaterThanOrEqualTo(0);
    assertThat(StartupTimeline.processCpuMillis()).isGreaterThan(before);
  }
}
