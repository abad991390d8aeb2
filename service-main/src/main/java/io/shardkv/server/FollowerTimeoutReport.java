package io.shardkv.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.thirdparty.com.codahale.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says once that a follower stopped answering a leader's appends in time, and once that it
 * answers again. Ratis's log appender logs a WARN line for every timed-out request, heartbeats
 * included: a node restarted under load, busy starting its JVM and catching up, made each leader
 * log thousands of them (2,364 in one 18 s restart here) for one condition. That logger is
 * turned down to ERROR (simplelogger.properties), and this report reads Ratis's per-follower
 * timeout counters instead, each time {@link #check()} runs.
 */
final class FollowerTimeoutReport {
  private static final Logger LOG = LoggerFactory.getLogger(FollowerTimeoutReport.class);
  private static final String TIMEOUT_COUNTER = "_append_entry_timeout_count";

  /** What one check found for one leader-follower pair of one shard. */
  record Event(int shard, String follower, boolean timingOut, long timedOut) {}

  private final OwnRatisMetrics own;
  private final Map<String, Long> lastCount = new HashMap<>();
  private final Map<String, Long> sinceCount = new HashMap<>();

  /** Same arguments as {@link RatisMetricsCollector}. */
  FollowerTimeoutReport(MetricRegistries registries, String selfPeer, Map<String, Integer> shardByGroup) {
    this.own = new OwnRatisMetrics(registries, selfPeer, shardByGroup);
  }

  /**
   * Compares every follower's timed-out requests with the previous check: logs (and returns) a
   * follower that started timing out, and one that stopped, once each.
   */
  synchronized List<Event> check() {
    List<Event> events = new ArrayList<>();
    Map<String, Long> now = counts();
    now.forEach((key, count) -> {
      // Ratis creates a follower's counter at its first timeout: a new one counts from 0.
      long before = lastCount.getOrDefault(key, 0L);
      String[] parts = key.split("\u0000");
      int shard = Integer.parseInt(parts[0]);
      String follower = parts[1];
      boolean timingOut = sinceCount.containsKey(key);
      if (count > before && !timingOut) {
        sinceCount.put(key, before);
        LOG.warn("shard {}: follower {} stopped answering this leader's appends in time ({} requests timed out "
            + "since the last check); Ratis keeps retrying. Logged again when it answers.", shard, follower,
            count - before);
        events.add(new Event(shard, follower, true, count - before));
      } else if (count == before && timingOut) {
        long total = count - sinceCount.remove(key);
        LOG.info("shard {}: follower {} answers this leader's appends in time again ({} requests had timed out)",
            shard, follower, total);
        events.add(new Event(shard, follower, false, total));
      }
    });
    lastCount.clear();
    lastCount.putAll(now);
    sinceCount.keySet().retainAll(now.keySet()); // this node no longer leads that shard
    return events;
  }

  /** Timed-out append requests (heartbeats and entries) per "shard\0follower" of this node. */
  private Map<String, Long> counts() {
    Map<String, Long> counts = new HashMap<>();
    own.forEach((info, group, shard, name, metric) -> {
      int cut = name.indexOf(TIMEOUT_COUNTER);
      if (shard != null && "log_appender".equals(info.getMetricsComponentName()) && cut > 0
          && metric instanceof Counter c) {
        counts.merge(shard + "\u0000" + name.substring(0, cut), c.getCount(), Long::sum);
      }
    });
    return counts;
  }
}
