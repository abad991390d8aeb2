package io.shardkv.bench;

import java.io.PrintStream;
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

  public Comparison(LoadGenerator generator, PrintStream log) {
    this.generator = generator;
    this.log = log;
  }

  /**
   * Runs every workload at every client count on every target. Targets that need data get
   * their key space preloaded once, before the first reading workload.
   */
  public List<LoadResult> run(List<KvTarget> targets, List<Workload> workloads, List<Integer> clientCounts)
      throws InterruptedException {
    List<LoadResult> results = new ArrayList<>();
    List<KvTarget> preloaded = new ArrayList<>();
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
