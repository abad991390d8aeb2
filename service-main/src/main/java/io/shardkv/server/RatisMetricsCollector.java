package io.shardkv.server;

import io.prometheus.client.Collector.MetricFamilySamples.Sample;
import io.prometheus.client.Collector;
import io.shardkv.raft.topology.GroupIds;
import io.shardkv.server.RatisMetricMapping.Family;
import io.shardkv.server.RatisMetricMapping.Kind;
import io.shardkv.server.RatisMetricMapping.Target;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.thirdparty.com.codahale.metrics.Counter;
import org.apache.ratis.thirdparty.com.codahale.metrics.Gauge;
import org.apache.ratis.thirdparty.com.codahale.metrics.Metric;
import org.apache.ratis.thirdparty.com.codahale.metrics.Snapshot;
import org.apache.ratis.thirdparty.com.codahale.metrics.Timer;

/**
 * Exports the Ratis metrics listed in {@link RatisMetricMapping} as {@code shardkv_raft_*}
 * families labelled {@code shard} and {@code group} (and {@code peer} or {@code type} where the
 * Ratis metric is per follower or per entry type).
 *
 * <p>Ratis keeps its metrics in registries of its own ({@link MetricRegistries}) over a
 * <em>shaded</em> copy of Dropwizard, so the {@code DropwizardExports} of shardkv's registry
 * never sees them. This collector reads those registries at each scrape rather than copying
 * values into ours: Ratis creates and drops registries as divisions start, become leader and
 * step down, and reading them live means there is nothing to keep in sync or to unregister.
 *
 * <p>Only registries of this node's peer are read. Ratis's registry set is one per JVM, so a
 * test running several nodes in one process would otherwise export every node's metrics from
 * each of them.
 */
final class RatisMetricsCollector extends Collector {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RatisMetricsCollector.class);
  /** The quantiles shardkv's own timers export (those of {@code DropwizardExports}). */
  private static final double[] QUANTILES = {0.5, 0.75, 0.95, 0.98, 0.99, 0.999};
  private static final double SECONDS_PER_NANO = 1e-9;

  private final OwnRatisMetrics own;

  /**
   * @param registries where Ratis keeps its metrics ({@link MetricRegistries#global()})
   * @param selfPeer this node's Raft peer id; registries of other peers are ignored
   * @param shardByGroup shard number by Ratis's short group name ({@code group-4901CB923503}),
   *     see {@link #shardsByGroupName}
   */
  RatisMetricsCollector(MetricRegistries registries, String selfPeer, Map<String, Integer> shardByGroup) {
    this.own = new OwnRatisMetrics(registries, selfPeer, shardByGroup);
  }

  /** Shard by the group name Ratis puts in its registry names and log lines. */
  static Map<String, Integer> shardsByGroupName(GroupIds groupIds, int shards) {
    Map<String, Integer> byName = new HashMap<>();
    for (int s = 0; s < shards; s++) {
      byName.put(groupIds.of(s).toString(), s);
    }
    return byName;
  }

  @Override
  public List<MetricFamilySamples> collect() {
    Map<Family, List<Sample>> samples = new LinkedHashMap<>();
    own.forEach((info, group, shard, name, metric) -> {
      try {
        collect(info, group, shard, name, metric, samples);
      } catch (RuntimeException e) {
        // A gauge of a group Ratis closed (after an apply failure) throws when read; one such
        // metric must not take the node's whole /metrics page down with it.
        LOG.debug("skipping Ratis metric {} of {}: {}", name, group, e.toString());
      }
    });
    List<MetricFamilySamples> families = new ArrayList<>();
    samples.forEach((family, list) -> families.add(new MetricFamilySamples(
        familyName(family), type(family.kind()), family.help(), list)));
    return families;
  }

  private static void collect(MetricRegistryInfo info, String group, Integer shard, String name, Metric metric,
      Map<Family, List<Sample>> samples) {
    Optional<Target> target = RatisMetricMapping.target(info.getApplicationName(), info.getMetricsComponentName(), name);
    if (target.isEmpty()) {
      return;
    }
    List<String> labelNames = new ArrayList<>(List.of("shard", "group"));
    // A group outside this cluster's shards cannot happen in a node; "" keeps the label set
    // of the family uniform if it ever does.
    List<String> labelValues = new ArrayList<>(List.of(shard == null ? "" : shard.toString(), group));
    target.get().labels().forEach((k, v) -> {
      labelNames.add(k);
      labelValues.add(v);
    });
    List<Sample> produced = samples(target.get().family(), metric, labelNames, labelValues);
    if (!produced.isEmpty()) {
      samples.computeIfAbsent(target.get().family(), f -> new ArrayList<>()).addAll(produced);
    }
  }

  /** The samples of one Ratis metric; none if it is not of the kind the mapping expects. */
  private static List<Sample> samples(Family family, Metric metric, List<String> names, List<String> values) {
    List<Sample> out = new ArrayList<>();
    switch (family.kind()) {
      case TIMER -> {
        if (metric instanceof Timer timer) {
          Snapshot snapshot = timer.getSnapshot();
          List<String> quantileNames = new ArrayList<>(names);
          quantileNames.add("quantile");
          for (double q : QUANTILES) {
            List<String> quantileValues = new ArrayList<>(values);
            quantileValues.add(Collector.doubleToGoString(q));
            out.add(new Sample(family.name(), quantileNames, quantileValues,
                snapshot.getValue(q) * SECONDS_PER_NANO));
          }
          out.add(new Sample(family.name() + "_count", names, values, timer.getCount()));
        }
      }
      case GAUGE -> {
        if (metric instanceof Gauge<?> gauge && gauge.getValue() instanceof Number n) {
          out.add(new Sample(family.name(), names, values, n.doubleValue()));
        }
      }
      case COUNTER -> {
        if (metric instanceof Counter counter) {
          out.add(new Sample(family.name(), names, values, counter.getCount()));
        }
      }
    }
    return out;
  }

  /** A counter family's name drops {@code _total}; its samples keep it (OpenMetrics rule). */
  private static String familyName(Family family) {
    String name = family.name();
    return family.kind() == Kind.COUNTER && name.endsWith("_total")
        ? name.substring(0, name.length() - "_total".length()) : name;
  }

  private static Type type(Kind kind) {
    return switch (kind) {
      case TIMER -> Type.SUMMARY;
      case GAUGE -> Type.GAUGE;
      case COUNTER -> Type.COUNTER;
    };
  }
}
