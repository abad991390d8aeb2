package io.shardkv.server;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.dropwizard.DropwizardExports;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Serves the Dropwizard registry, and any further collectors (Ratis's metrics, which live
 * outside that registry), in Prometheus text format at {@code /metrics}.
 */
public final class MetricsServer implements AutoCloseable {
  private final HTTPServer server;

  public MetricsServer(MetricRegistry metrics, String host, int port) throws IOException {
    this(metrics, List.of(), host, port);
  }

  MetricsServer(MetricRegistry metrics, List<Collector> more, String host, int port) throws IOException {
    CollectorRegistry registry = new CollectorRegistry();
    registry.register(new DropwizardExports(metrics, new LabelledSampleBuilder()));
    more.forEach(registry::register);
    this.server = new HTTPServer(new InetSocketAddress(host, port), registry, true);
  }

  /** The bound port (useful when configured as 0). */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
