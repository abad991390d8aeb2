package io.shardkv.server;

import io.prometheus.client.Collector.MetricFamilySamples.Sample;
import io.prometheus.client.Collector;
import io.prometheus.client.dropwizard.samplebuilder.SampleBuilder;
import io.shardkv.raft.metrics.MetricNames;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns Dropwizard names of the form {@code base{key=value,...}} (see {@link MetricNames}) into
 * Prometheus samples of family {@code base} with those labels, so per-shard and per-method
 * metrics aggregate the way Prometheus users expect ({@code sum by (shard)}).
 */
final class LabelledSampleBuilder implements SampleBuilder {
  @Override
  public Sample createSample(String dropwizardName, String nameSuffix, List<String> additionalLabelNames,
      List<String> additionalLabelValues, double value) {
    MetricNames.Labelled parsed = MetricNames.parse(dropwizardName);
    List<String> names = new ArrayList<>(parsed.labels().keySet());
    List<String> values = new ArrayList<>(parsed.labels().values());
    names.addAll(additionalLabelNames);
    values.addAll(additionalLabelValues);
    String suffix = nameSuffix == null ? "" : nameSuffix;
    return new Sample(Collector.sanitizeMetricName(parsed.base() + suffix), names, values, value);
  }
}
