package io.shardkv.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code bin/shardkv-bench}: {@code load} (one workload against one target), {@code compare}
 * (the same workloads against shardkv and etcd, one table with their ratio), {@code restart}
 * (restart time against data size, CSV and PNG) and {@code jmh} (the microbenchmarks).
 */
public final class Main {
  private static final Set<String> FLAGS = Set.of("stale", "no-progress", "no-etcd", "no-shardkv");

  private Main() {}

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help")) {
      System.out.println(usage());
      return;
    }
    List<String> rest = Arrays.asList(argv).subList(1, argv.length);
    try {
      switch (argv[0]) {
        case "load" -> load(new Args(rest, FLAGS));
        case "compare" -> compare(new Args(rest, FLAGS));
        case "restart" -> RestartCommand.run(new Args(rest, FLAGS), System.out);
        case "soak" -> SoakCommand.run(new Args(rest, FLAGS), System.out);
        case "restart-cluster" -> ClusterRestartCommand.run(new Args(rest, FLAGS), System.out);
        case "rebalance" -> RebalanceCommand.run(new Args(rest, FLAGS), System.out);
        case "jmh" -> org.openjdk.jmh.Main.main(rest.toArray(String[]::new));
        default -> {
          System.err.println(usage());
          System.exit(2);
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("shardkv-bench: " + e.getMessage());
      System.exit(2);
    }
    // jetcd's and gRPC's non-daemon threads must not keep a finished run alive.
    System.exit(0);
  }

  static String usage() {
    return """
        usage: bin/shardkv-bench COMMAND [options]
          load     --target shardkv|etcd --address HOST:PORT,... (etcd: http://HOST:PORT,...)
                   [workload options] [--json FILE]
          compare  [--shardkv HOST:PORT,...] [--etcd http://HOST:PORT,...]  (absent: start a
                   3-node/3-member cluster on loopback under --dir) --clients 1,16,64,256
                   --workloads put,get,get-stale,mixed,scan [--warmup 20s] [workload options]
                   [--json FILE] [--md FILE]
          soak     [--duration 10m] [--kill-every 60s] [--clients 256] [--channels 4]
                   [--value-bytes 1024] [--dir DIR]   (kill -9 a node every interval, read back)
          restart  --sizes-gb 0.01,0.02 [--runs 1] [--value-bytes 4096] [--dir DIR] [--csv FILE]
                   [--png FILE] [--no-etcd] [--etcd-max-gb 8] [--heap 1g]
          restart-cluster [--kill all|one] [--runs 3] [--shards 4] [--keys 20000] [--value-bytes 1024]
                   [--heap 384m] [--extra-config HOCON] [--dir DIR]
                   (kill -9 all 3 nodes or n2 alone, time the restart to reads and SERVING)
          rebalance [--data-mib 1024] [--value-bytes 4096] [--shards 8] [--max-concurrent-moves 2]
                   [--clients 8] [--window 10s] [--heap 768m] [--dir DIR]
                   (load 3 nodes, start 2 more, time the balancing, bytes moved, write p99 before/during/after)
          jmh      [JMH options, e.g. -f 1 -wi 2 -i 3 StoreApply]
        workload options: --workload put|get|mixed|scan --write-percent 50 --stale
          --clients 16 --channels 4 --value-bytes 1024 --keys 10000 --duration 10s | --count N
          --scan-limit 100 --no-progress""";
  }

  /** The workload options shared by load and compare. */
  static Workload workload(Args a, String kindName, boolean stale, int clients) {
    Workload.Kind kind = Workload.Kind.valueOf(kindName.toUpperCase(java.util.Locale.ROOT));
    long count = a.longValue("count", 0);
    Duration duration = a.duration("duration", "10s");
    return new Workload(kind, a.integer("write-percent", 50), stale, a.integer("value-bytes", 1024),
        a.integer("keys", 10_000), clients, a.integer("channels", 4), duration, count,
        a.integer("scan-limit", 100));
  }

  private static boolean progress(Args a) {
    return !a.flag("no-progress") && System.console() != null;
  }

  private static void load(Args a) throws Exception {
    String target = a.string("target", "shardkv");
    List<String> addresses = a.list("address", target.equals("etcd") ? "http://127.0.0.1:2379"
        : "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003");
    Workload w = workload(a, a.string("workload", "put"), a.flag("stale"), a.integer("clients", 16));
    String json = a.string("json", "");
    boolean bar = progress(a);
    a.rejectUnknown();
    LoadGenerator generator = new LoadGenerator(bar, System.err);
    try (KvTarget t = target.equals("etcd") ? new EtcdTarget(addresses, w.channels())
        : new ShardkvTarget(addresses, w.channels())) {
      if (w.needsPreload()) {
        generator.preload(t, w);
      }
      LoadResult r = generator.run(t, w);
      System.out.print(ResultTable.table(List.of(r)));
      writeIfSet(json, Json.array(List.of(r.toJson())));
    }
  }

  private static void compare(Args a) throws Exception {
    List<Integer> clients = a.list("clients", "1,16,64,256").stream().map(Integer::parseInt).toList();
    List<Workload> workloads = new ArrayList<>();
    for (String name : a.list("workloads", "put")) {
      boolean stale = name.endsWith("-stale");
      workloads.add(workload(a, stale ? name.substring(0, name.length() - "-stale".length()) : name, stale,
          clients.get(0)));
    }
    String shardkvAddresses = a.string("shardkv", "");
    String etcdEndpoints = a.string("etcd", "");
    boolean noEtcd = a.flag("no-etcd");
    boolean noShardkv = a.flag("no-shardkv");
    String dirName = a.string("dir", "");
    String heap = a.string("heap", "512m");
    Duration warmUp = a.duration("warmup", "0s");
    String json = a.string("json", "");
    String md = a.string("md", "");
    boolean bar = progress(a);
    a.rejectUnknown();
    int channels = workloads.get(0).channels();
    try (WorkDir work = WorkDir.of(dirName, "shardkv-bench-"); ClusterSet clusters = new ClusterSet()) {
      Path dir = work.path();
      List<KvTarget> targets = new ArrayList<>();
      if (!noShardkv) {
        List<String> addrs = shardkvAddresses.isEmpty()
            ? clusters.shardkv(dir.resolve("shardkv"), heap).addresses()
            : List.of(shardkvAddresses.split(","));
        targets.add(clusters.own(new ShardkvTarget(addrs, channels)));
      }
      if (!noEtcd) {
        List<String> eps = etcdEndpoints.isEmpty() ? clusters.etcd(dir.resolve("etcd")).endpoints()
            : List.of(etcdEndpoints.split(","));
        targets.add(clusters.own(new EtcdTarget(eps, channels)));
      }
      List<LoadResult> results = new Comparison(new LoadGenerator(bar, System.err), System.err, warmUp)
          .run(targets, workloads, clients);
      String table = ResultTable.comparison(results);
      PrintStream out = System.out;
      out.print(table);
      writeIfSet(md, table);
      writeIfSet(json, Json.array(results.stream().map(LoadResult::toJson).toList()));
    }
  }

  static void writeIfSet(String file, String content) throws java.io.IOException {
    if (!file.isEmpty()) {
      Path p = Path.of(file);
      if (p.toAbsolutePath().getParent() != null) {
        Files.createDirectories(p.toAbsolutePath().getParent());
      }
      Files.writeString(p, content);
    }
  }
}
