package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.topology.GroupIds;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.grpc.metrics.GrpcServerMetrics;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.RatisMetrics;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.metrics.LogAppenderMetrics;
import org.apache.ratis.server.metrics.SegmentedRaftLogMetrics;
import org.apache.ratis.util.Timestamp;
import org.apache.ratis.util.UncheckedAutoCloseable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bridge against Ratis's own metric classes, so a Ratis upgrade that renames a metric fails
 * here rather than silently emptying a dashboard. Nothing is started: Ratis's metric objects
 * register in {@link MetricRegistries#global()} when constructed.
 */
class RatisMetricsCollectorTest {
  private static final GroupIds GROUPS = new GroupIds("collector-test");
  private static final int SHARDS = 3;
  private final List<RatisMetrics> created = new ArrayList<>();
  private final List<MetricRegistryInfo> registered = new ArrayList<>();

  @AfterEach
  void unregister() {
    created.forEach(RatisMetrics::unregister);
    registered.forEach(MetricRegistries.global()::remove);
  }

  private static RaftGroupMemberId member(String peer, int shard) {
    return RaftGroupMemberId.valueOf(RaftPeerId.valueOf(peer), GROUPS.of(shard));
  }

  private static String scrape() throws Exception {
    RatisMetricsCollector collector = new RatisMetricsCollector(MetricRegistries.global(), "n1",
        RatisMetricsCollector.shardsByGroupName(GROUPS, SHARDS));
    try (MetricsServer server = new MetricsServer(new MetricRegistry(), List.of(collector), "127.0.0.1", 0)) {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    }
  }

  @Test
  void exportsRatisLogAndAppenderMetricsLabelledByShardGroupAndPeer() throws Exception {
    RaftGroupMemberId self = member("n1", 1);
    String group = GROUPS.of(1).toString();
    SegmentedRaftLogMetrics log = new SegmentedRaftLogMetrics(self);
    LogAppenderMetrics appender = new LogAppenderMetrics(self);
    GrpcServerMetrics grpc = new GrpcServerMetrics(self.toString());
    created.addAll(List.of(log, appender, grpc));

    try (UncheckedAutoCloseable flush = log.startFlushTimer()) {
      log.getSyncTimer().time().stop();
    }
    log.startAppendEntryTimer().stop();
    log.addLogWorkerQueueSizeGauge(() -> 7);
    appender.addFollowerGauges(RaftPeerId.valueOf("n2"), () -> 41, () -> 40, Timestamp::currentTime);
    grpc.getGrpcLogAppenderLatencyTimer("n2", false).time().stop();
    grpc.getGrpcLogAppenderLatencyTimer("n2", true).time().stop();
    grpc.getGrpcLogAppenderLatencyTimer("n2", true).time().stop();

    String labels = "shard=\"1\",group=\"" + group + "\",";
    String body = scrape();
    assertThat(body).containsOnlyOnce("# TYPE shardkv_raft_log_flush_seconds summary")
        .contains("shardkv_raft_log_flush_seconds_count{" + labels + "} 1.0")
        .contains("shardkv_raft_log_flush_seconds{" + labels + "quantile=\"0.99\",}")
        .contains("shardkv_raft_log_sync_seconds_count{" + labels + "} 1.0")
        .contains("shardkv_raft_log_append_seconds_count{" + labels + "} 1.0")
        .contains("shardkv_raft_log_queue_tasks{" + labels + "} 7.0")
        .contains("shardkv_raft_follower_match_index{" + labels + "peer=\"n2\",} 40.0")
        // the heartbeat twin (2 calls) is not folded in: only the one append with entries
        .contains("shardkv_raft_append_entries_seconds_count{" + labels + "peer=\"n2\",} 1.0");
    // Ratis metrics that are not in the mapping stay out, and names keep the convention.
    body.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
        .forEach(l -> assertThat(l).matches("shardkv_raft_[a-z_]+\\{.*\\} .*"));
  }

  @Test
  void readsOnlyThisNodesRegistries() throws Exception {
    SegmentedRaftLogMetrics otherNode = new SegmentedRaftLogMetrics(member("n2", 2));
    created.add(otherNode);
    otherNode.startFlushTimer().close();

    assertThat(scrape()).doesNotContain(GROUPS.of(2).toString());
  }

  @Test
  void countersAreCountersAndUnmappedMetricsAreLeftOut() throws Exception {
    MetricRegistryInfo info = new MetricRegistryInfo(member("n1", 0).toString(), "ratis", "log_worker", "test");
    registered.add(info);
    RatisMetricRegistry registry = MetricRegistries.global().create(info);
    registry.counter("stateMachineLogEntryCount").inc(4);
    registry.counter("flushCount").inc(9);

    String body = scrape();
    assertThat(body).contains("# TYPE shardkv_raft_committed_entries_total counter")
        .contains("shardkv_raft_committed_entries_total{shard=\"0\",group=\"" + GROUPS.of(0)
            + "\",type=\"state_machine\",} 4.0")
        .doesNotContain("9.0");
  }
}
