package io.shardkv.raft.readiness;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When each phase of this node's start-up was reached, in milliseconds since the JVM started:
 * one log line per phase (the first time it is reached) and one gauge per phase,
 * {@code shardkv_startup_phase_seconds{phase}}. Operators read it to see where a slow restart
 * spends its time; {@code docs/benchmarks.md} has a measured timeline.
 *
 * <p>Phases in the order a start reaches them: {@code main} (the JVM reached shardkv's main),
 * {@code config_loaded}, {@code store_opened} (the first shard's LMDB environment is open),
 * {@code shard_initialized} (per shard: its cold-start gate decided), {@code raft_started},
 * {@code grpc_listening}, {@code leaders_known} (every hosted shard has a leader),
 * {@code caught_up} and {@code serving}.
 *
 * <p>Each line also gives the CPU time the process has used so far ({@code cpu_ms}): a start
 * whose CPU time runs ahead of its wall-clock time is waiting for cores, not for disk or peers.
 */
public final class StartupTimeline {
  private static final Logger LOG = LoggerFactory.getLogger(StartupTimeline.class);
  static final String METRIC = "shardkv_startup_phase_seconds";

  private final long jvmStartMillis;
  private final MetricRegistry metrics;
  private final Map<String, Long> reached = new LinkedHashMap<>();

  /** A timeline measured from this JVM's start, published to {@code metrics}. */
  public StartupTimeline(MetricRegistry metrics) {
    this(ManagementFactory.getRuntimeMXBean().getStartTime(), metrics);
  }

  /** A timeline measured from {@code jvmStartMillis} (epoch milliseconds); for tests. */
  public StartupTimeline(long jvmStartMillis, MetricRegistry metrics) {
    this.jvmStartMillis = jvmStartMillis;
    this.metrics = metrics;
  }

  /** Records {@code phase} now, unless it was reached before. */
  public void reached(String phase) {
    record(phase, phase, null);
  }

  /** Records the per-shard phase {@code phase} of {@code shard} now, unless reached before. */
  public void reached(String phase, int shard) {
    record(phase + "/" + shard, phase, shard);
  }

  /**
   * Milliseconds since JVM start at which {@code key} was reached: a phase name, or
   * {@code phase/shard} for a per-shard phase.
   */
  public synchronized OptionalLong millis(String key) {
    Long at = reached.get(key);
    return at == null ? OptionalLong.empty() : OptionalLong.of(at);
  }

  /** CPU time this process has used, in milliseconds; -1 where the JVM does not say. */
  static long processCpuMillis() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      long nanos = os.getProcessCpuTime();
      return nanos < 0 ? -1 : nanos / 1_000_000;
    }
    return -1;
  }

  private void record(String key, String phase, Integer shard) {
    long at = System.currentTimeMillis() - jvmStartMillis;
    long previous;
    synchronized (this) {
      if (reached.containsKey(key)) {
        return;
      }
      previous = reached.values().stream().mapToLong(Long::longValue).max().orElse(0);
      reached.put(key, at);
    }
    String name = shard == null ? MetricNames.labelled(METRIC, "phase", phase)
        : MetricNames.labelled(METRIC, "phase", phase, "shard", shard.toString());
    metrics.gauge(name, () -> (Gauge<Double>) () -> at / 1000.0);
    LOG.info("startup phase={}{} ms_since_jvm_start={} (+{} ms) cpu_ms={}", phase,
        shard == null ? "" : " shard=" + shard, at, Math.max(0, at - previous), processCpuMillis());
  }
}
