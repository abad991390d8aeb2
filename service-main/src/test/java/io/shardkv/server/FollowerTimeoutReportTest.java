package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.server.FollowerTimeoutReport.Event;
import java.util.Map;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A follower timing out is reported once when it starts and once when it stops. */
class FollowerTimeoutReportTest {
  private static final String GROUP = "group-0123456789AB";
  private final MetricRegistries registries = MetricRegistries.global();
  private final MetricRegistryInfo leaderN1 = new MetricRegistryInfo("n1@" + GROUP, "ratis_grpc", "log_appender",
      "test");
  private final MetricRegistryInfo leaderN9 = new MetricRegistryInfo("n9@" + GROUP, "ratis_grpc", "log_appender",
      "test");

  @AfterEach
  void removeRegistries() {
    registries.remove(leaderN1);
    registries.remove(leaderN9);
  }

  @Test
  void reportsOnceWhenAFollowerStartsTimingOutAndOnceWhenItRecovers() {
    FollowerTimeoutReport report = new FollowerTimeoutReport(registries, "n1", Map.of(GROUP, 3));
    RatisMetricRegistry n1 = registries.create(leaderN1);
    RatisMetricRegistry otherNode = registries.create(leaderN9);
    assertThat(report.check()).isEmpty();

    n1.counter("n2_append_entry_timeout_count_heartbeat").inc(40);
    n1.counter("n2_append_entry_timeout_count").inc(2);
    otherNode.counter("n2_append_entry_timeout_count").inc(7); // another node's leader: not ours
    assertThat(report.check()).containsExactly(new Event(3, "n2", true, 42));

    n1.counter("n2_append_entry_timeout_count_heartbeat").inc(100);
    assertThat(report.check()).as("still timing out: said already").isEmpty();

    assertThat(report.check()).as("recovered: all 142 of the episode").containsExactly(new Event(3, "n2", false, 142));
    assertThat(report.check()).isEmpty();
  }
}
