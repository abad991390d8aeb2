package io.shardkv.bench;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one load run: throughput and latency percentiles (milliseconds) of the
 * successful calls, and how many calls failed.
 */
public record LoadResult(String target, String workload, int clients, int channels, int valueBytes,
    long ops, long errors, double seconds, double opsPerSecond, double p50Ms, double p90Ms,
    double p99Ms, double p999Ms, double maxMs, String firstError) {

  /** Builds a result from a histogram of latencies in microseconds. */
  static LoadResult of(String target, Workload w, Histogram micros, long errors, double seconds,
      String firstError) {
    long ops = micros.getTotalCount();
    return new LoadResult(target, w.label(), w.clients(), w.channels(), w.valueBytes(), ops, errors,
        seconds, ops / seconds, ms(micros, 50), ms(micros, 90), ms(micros, 99), ms(micros, 99.9),
        micros.getMaxValue() / 1000.0, firstError == null ? "" : firstError);
  }

  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1000.0;
  }

  /** One JSON object, keys in declaration order. */
  public String toJson() {
    return String.format(Locale.ROOT,
        "{\"target\":%s,\"workload\":%s,\"clients\":%d,\"channels\":%d,\"value_bytes\":%d,"
            + "\"ops\":%d,\"errors\":%d,\"seconds\":%.3f,\"ops_per_sec\":%.1f,\"p50_ms\":%.3f,"
            + "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"first_error\":%s}",
        Json.quote(target), Json.quote(workload), clients, channels, valueBytes, ops, errors, seconds,
        opsPerSecond, p50Ms, p90Ms, p99Ms, p999Ms, maxMs, Json.quote(firstError));
  }
}
