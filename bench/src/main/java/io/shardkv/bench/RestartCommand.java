package io.shardkv.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code shardkv-bench restart}: for each size, load shardkv (and etcd) to it, time every
 * restart mode, then write the CSV and the PNG plot.
 */
final class RestartCommand {
  private RestartCommand() {}

  static void run(Args a, PrintStream out) throws Exception {
    List<Double> sizes = a.list("sizes-gb", "0.01").stream().map(Double::parseDouble).toList();
    String dirName = a.string("dir", "");
    int runs = a.integer("runs", 1);
    int valueBytes = a.integer("value-bytes", 4096);
    int perBatch = a.integer("per-batch", 128);
    int loaders = a.integer("loaders", 4);
    String heap = a.string("heap", "1g");
    Path csv = Path.of(a.string("csv", "restart.csv"));
    Path png = Path.of(a.string("png", "restart.png"));
    double etcdMaxGb = Double.parseDouble(a.string("etcd-max-gb", "8"));
    boolean withEtcd = !a.flag("no-etcd");
    a.rejectUnknown();
    Optional<String> etcd = withEtcd ? EtcdCluster.findBinary() : Optional.empty();
    if (withEtcd && etcd.isEmpty()) {
      throw new IllegalArgumentException("no etcd binary on the PATH (apt-get install etcd-server), or pass --no-etcd");
    }
    List<RestartRow> rows;
    try (WorkDir work = WorkDir.of(dirName, "shardkv-restart-")) {
      RestartConfig config = new RestartConfig(sizes, runs, valueBytes, perBatch, loaders, work.path(), heap, etcdMaxGb);
      rows = run(config, etcd, System.err, partial -> {
        try {
          write(partial, csv, png);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    }
    out.println(RestartRow.CSV_HEADER);
    rows.forEach(r -> out.println(r.csv()));
    out.println("# csv: " + csv + "  plot: " + png);
  }

  /** As {@link #run(RestartConfig, Optional, PrintStream, Consumer)} without partial results. */
  static List<RestartRow> run(RestartConfig config, Optional<String> etcdBinary, PrintStream log) throws Exception {
    return run(config, etcdBinary, log, rows -> { });
  }

  /**
   * For each size: shardkv, then etcd (if a binary is given and the size is at most
   * {@link RestartConfig#etcdMaxGb()}), one system loaded at a time (the other idles).
   * {@code afterSize} gets the rows so far, so a long run that is stopped still
   * leaves the sizes it finished.
   */
  static List<RestartRow> run(RestartConfig config, Optional<String> etcdBinary, PrintStream log,
      Consumer<List<RestartRow>> afterSize) throws Exception {
    List<RestartRow> rows = new ArrayList<>();
    try (ShardkvRestartBench shardkv = new ShardkvRestartBench(config, log);
        EtcdRestartBench etcd = etcdBinary.isPresent() ? new EtcdRestartBench(config, etcdBinary.get(), log) : null) {
      shardkv.start();
      if (etcd != null) {
        etcd.start();
      }
      for (double size : config.sizesGb()) {
        rows.addAll(shardkv.measure(size));
        if (etcd != null && size <= config.etcdMaxGb()) {
          rows.addAll(etcd.measure(size));
        }
        afterSize.accept(List.copyOf(rows));
      }
    }
    return rows;
  }

  static void write(List<RestartRow> rows, Path csv, Path png) throws java.io.IOException {
    List<String> lines = new ArrayList<>();
    lines.add(RestartRow.CSV_HEADER);
    rows.forEach(r -> lines.add(r.csv()));
    if (csv.toAbsolutePath().getParent() != null) {
      Files.createDirectories(csv.toAbsolutePath().getParent());
    }
    Files.write(csv, lines);
    RestartPlot.write(rows, png);
  }
}
