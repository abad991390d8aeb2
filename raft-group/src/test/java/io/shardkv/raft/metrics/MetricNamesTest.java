package io.shardkv.raft.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricNamesTest {
  @Test
  void labelledNamesRoundTrip() {
    String name = MetricNames.coldStartTotal("restored", "behind_snapshot");
    assertThat(name).isEqualTo("shardkv_coldstart_total{outcome=restored,reason=behind_snapshot}");
    assertThat(MetricNames.parse(name)).isEqualTo(new MetricNames.Labelled("shardkv_coldstart_total",
        Map.of("outcome", "restored", "reason", "behind_snapshot")));
    assertThat(MetricNames.parse("shardkv_node_serving"))
        .isEqualTo(new MetricNames.Labelled("shardkv_node_serving", Map.of()));
  }

  @Test
  void refusesValuesThatWouldBreakTheEncoding() {
    assertThatThrownBy(() -> MetricNames.labelled("x", "k", "a,b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MetricNames.labelled("x", "k")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everyNameFollowsTheConvention() {
    for (String n : new String[] {MetricNames.applySeconds(3), MetricNames.applyBatchOps(3),
        MetricNames.appliedIndex(3), MetricNames.durableAppliedIndex(3), MetricNames.snapshotIndex(3),
        MetricNames.snapshotSizeBytes(3), MetricNames.snapshotSeconds(3), MetricNames.storeMapSizeBytes(3),
        MetricNames.storeUsedBytes(3), MetricNames.coldStartSeconds(),
        MetricNames.snapshotReceivedBytes(), MetricNames.replicaMoves("rolled_back")}) {
      assertThat(MetricNames.parse(n).base()).matches("shardkv_[a-z]+_[a-z_]+");
    }
  }
}
