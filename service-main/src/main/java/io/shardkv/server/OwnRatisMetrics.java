package io.shardkv.server;

import java.util.Map;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.thirdparty.com.codahale.metrics.Metric;
import org.apache.ratis.thirdparty.com.codahale.metrics.MetricRegistry;

/**
 * Walks the Ratis metrics of this node's own divisions. Ratis keeps one registry set per JVM,
 * each registry prefixed with a division's member id {@code <peer>@<group>}; only those of this
 * node's peer are visited (a test running several nodes in one process would otherwise see
 * every node's), each metric under its short name.
 */
final class OwnRatisMetrics {
  /** One metric of one of this node's divisions. */
  @FunctionalInterface
  interface Visitor {
    /**
     * @param shard the division's shard, or null for a group outside this cluster's shards
     * @param name the metric's name within its registry, e.g. {@code n2_append_entry_timeout_count}
     */
    void visit(MetricRegistryInfo info, String group, Integer shard, String name, Metric metric);
  }

  private final MetricRegistries registries;
  private final String selfPeer;
  private final Map<String, Integer> shardByGroup;

  /**
   * @param shardByGroup shard number by Ratis's short group name ({@code group-4901CB923503}),
   *     see {@link RatisMetricsCollector#shardsByGroupName}
   */
  OwnRatisMetrics(MetricRegistries registries, String selfPeer, Map<String, Integer> shardByGroup) {
    this.registries = registries;
    this.selfPeer = selfPeer;
    this.shardByGroup = Map.copyOf(shardByGroup);
  }

  void forEach(Visitor visitor) {
    for (RatisMetricRegistry registry : registries.getMetricRegistries()) {
      // Only the default implementation exposes its Dropwizard registry; Ratis's
      // ratis-metrics-dropwizard3 alternative is not on our classpath.
      if (!(registry instanceof RatisMetricRegistryImpl impl)) {
        continue;
      }
      MetricRegistryInfo info = impl.getMetricRegistryInfo();
      String member = info.getPrefix();
      int at = member.lastIndexOf('@');
      if (at < 0 || !member.substring(0, at).equals(selfPeer)) {
        continue;
      }
      String group = member.substring(at + 1);
      Integer shard = shardByGroup.get(group);
      String namePrefix = MetricRegistry.name(info.getApplicationName(), info.getMetricsComponentName(), member) + ".";
      for (Map.Entry<String, Metric> e : impl.getDropWizardMetricRegistry().getMetrics().entrySet()) {
        if (e.getKey().startsWith(namePrefix)) {
          visitor.visit(info, group, shard, e.getKey().substring(namePrefix.length()), e.getValue());
        }
      }
    }
  }
}
