package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  @Test
  void servesRegistryInPrometheusFormatAndNamesRpcMetrics() throws Exception {
    MetricRegistry metrics = new MetricRegistry();
    metrics.counter("shardkv_test_things_total").inc(3);
    try (MetricsServer server = new MetricsServer(metrics, "127.0.0.1", 0)) {
      String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(body).contains("shardkv_test_things_total 3.0");
    }
    assertThat(RpcMetricsInterceptor.metricStem("shardkv.v1.KV/DeletePrefix")).isEqualTo("shardkv_rpc_delete_prefix");
    assertThat(RpcMetricsInterceptor.metricStem("shardkv.v1.KV/Put")).isEqualTo("shardkv_rpc_put");
  }
}
