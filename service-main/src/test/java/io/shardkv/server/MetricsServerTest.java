package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  private static String scrape(MetricsServer server) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void servesRegistryInPrometheusFormat() throws Exception {
    MetricRegistry metrics = new MetricRegistry();
    metrics.counter("shardkv_test_things_total").inc(3);
    try (MetricsServer server = new MetricsServer(metrics, "127.0.0.1", 0)) {
      assertThat(scrape(server)).contains("shardkv_test_things_total 3.0");
    }
  }

  @Test
  void labelledNamesBecomeOneFamilyWithLabels() throws Exception {
    MetricRegistry metrics = new MetricRegistry();
    metrics.timer(MetricNames.applySeconds(0)).update(Duration.ofMillis(2));
    metrics.timer(MetricNames.applySeconds(1)).update(Duration.ofMillis(4));
    metrics.counter(MetricNames.coldStartTotal("restored", "no_store")).inc();
    try (MetricsServer server = new MetricsServer(metrics, "127.0.0.1", 0)) {
      String body = scrape(server);
      assertThat(body).containsOnlyOnce("# TYPE shardkv_apply_seconds summary");
      assertThat(body).contains("shardkv_apply_seconds_count{shard=\"0\",} 1.0")
          .contains("shardkv_apply_seconds_count{shard=\"1\",} 1.0")
          .contains("shardkv_apply_seconds{shard=\"1\",quantile=\"0.5\",} 0.004")
          .contains("shardkv_coldstart_total{outcome=\"restored\",reason=\"no_store\",} 1.0");
    }
  }

  @Test
  void rpcMetricsAreLabelledByServiceAndMethod() {
    assertThat(RpcMetricsInterceptor.serviceAndMethod("shardkv.v1.KV/DeletePrefix"))
        .containsExactly("KV", "DeletePrefix");
    assertThat(RpcMetricsInterceptor.serviceAndMethod("grpc.health.v1.Health/Check"))
        .containsExactly("Health", "Check");
  }
}
