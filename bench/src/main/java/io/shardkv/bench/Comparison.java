package io.shardkv.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The same workloads, client counts and data shape against each target in turn, so one run
 * yields shardkv and etcd side by side. Targets run one after the other, never at once: on a
 * small machine two loaded systems would measure each other.
 */
public final class Comparison {
  private final LoadGenerator generator;
  private final PrintStream log;
  private final Duration warmUp;

  /** No warm-up. */
  public Comparison(LoadGenerator generator, PrintStream log) {
    this(generator, log, Duration.ZERO);
  }

  /**
   * @param warmUp how long each target runs a mixed load before the first measured point (not
   *     reported): JVM targets compile their hot paths meanwhile, as they would have long done
   *     in a server that has been up for a while
   */
  public Comparison(LoadGenerator generator, PrintStream log, Duration warmUp) {
    this.generator = generator;
    this.log = log;
    this.warmUp = warmUp;
  }

  /**
   * Runs every workload at every client count on every target. Targets that need data get
   * their key space preloaded once, before the first reading workload.
   */
  public List<LoadResult> run(List<KvTarget> targets, List<Workload> workloads, List<Integer> clientCounts)
      throws InterruptedException {
    List<LoadResult> results = new ArrayList<>();
    List<KvTarget> preloaded = new ArrayList<>();
    if (!warmUp.isZero() && !workloads.isEmpty()) {
      for (KvTarget t : targets) {
        LoadResult r = generator.run(t, workloads.get(0).warmUp(warmUp));
        log.printf("%s warm-up (%s, not reported): %.0f ops/s%n", r.target(), warmUp, r.opsPerSecond());
      }
    }
    for (Workload base : workloads) {
      for (int clients : clientCounts) {
        Workload w = base.withClients(clients);
        for (KvTarget t : targets) {
          if (w.needsPreload() && !preloaded.contains(t)) {
            generator.preload(t, w);
            preloaded.add(t);
          }
          LoadResult r = generator.run(t, w);
          log.printf("%s %s clients=%d: %.0f ops/s p50 %.2f ms p99 %.2f ms errors %d%n", r.target(),
              r.workload(), r.clients(), r.opsPerSecond(), r.p50Ms(), r.p99Ms(), r.errors());
          results.add(r);
        }
      }
    }
    return results;
  }
}
