package io.shardkv.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Markdown tables of load results: one per run, and shardkv beside etcd with their ratio. */
public final class ResultTable {
  private ResultTable() {}

  /** One row per result. */
  public static String table(List<LoadResult> results) {
    StringBuilder b = new StringBuilder(
        "| target | workload | clients | ops | errors | ops/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |\n"
            + "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (LoadResult r : results) {
      b.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f |%n",
          r.target(), r.workload(), r.clients(), r.ops(), r.errors(), r.opsPerSecond(), r.p50Ms(),
          r.p90Ms(), r.p99Ms(), r.p999Ms(), r.maxMs()));
    }
    return b.toString();
  }

  /**
   * shardkv and etcd side by side for each (workload, clients): throughput ratio shardkv/etcd
   * (above 1 is shardkv faster) and p99 ratio (below 1 is shardkv better).
   */
  public static String comparison(List<LoadResult> results) {
    StringBuilder b = new StringBuilder(
        "| workload | clients | shardkv ops/s | etcd ops/s | ratio ops/s | shardkv p50 ms | etcd p50 ms "
            + "| shardkv p99 ms | etcd p99 ms | ratio p99 | errors (s/e) |\n"
            + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    List<String> seen = new ArrayList<>();
    for (LoadResult r : results) {
      String id = r.workload() + "/" + r.clients();
      if (seen.contains(id)) {
        continue;
      }
      seen.add(id);
      Optional<LoadResult> s = find(results, "shardkv", r);
      Optional<LoadResult> e = find(results, "etcd", r);
      b.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s/%s |%n",
          r.workload(), r.clients(),
          s.map(x -> fmt0(x.opsPerSecond())).orElse("-"), e.map(x -> fmt0(x.opsPerSecond())).orElse("-"),
          ratio(s.map(LoadResult::opsPerSecond), e.map(LoadResult::opsPerSecond)),
          s.map(x -> fmt2(x.p50Ms())).orElse("-"), e.map(x -> fmt2(x.p50Ms())).orElse("-"),
          s.map(x -> fmt2(x.p99Ms())).orElse("-"), e.map(x -> fmt2(x.p99Ms())).orElse("-"),
          ratio(s.map(LoadResult::p99Ms), e.map(LoadResult::p99Ms)),
          s.map(x -> Long.toString(x.errors())).orElse("-"), e.map(x -> Long.toString(x.errors())).orElse("-")));
    }
    return b.toString();
  }

  private static Optional<LoadResult> find(List<LoadResult> all, String target, LoadResult like) {
    return all.stream().filter(x -> x.target().equals(target) && x.workload().equals(like.workload())
        && x.clients() == like.clients()).findFirst();
  }

  private static String ratio(Optional<Double> a, Optional<Double> b) {
    if (a.isEmpty() || b.isEmpty() || b.get() == 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.2f", a.get() / b.get());
  }

  private static String fmt0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  private static String fmt2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
