package io.shardkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restart benchmark once at a tiny size, through its command line: every mode restarts,
 * the gate did what the mode asks (skip or restore), and the CSV and the PNG are written.
 * etcd joins in if installed.
 */
class RestartHarnessTest {
  @TempDir
  Path dir;

  @Test
  void timesEveryModeAndWritesCsvAndPlot() throws Exception {
    boolean etcd = EtcdCluster.findBinary().isPresent();
    Path csv = dir.resolve("out/restart.csv");
    Path png = dir.resolve("out/restart.png");
    List<String> argv = new ArrayList<>(List.of("--sizes-gb", "0.002", "--runs", "1", "--value-bytes", "4096",
        "--per-batch", "64", "--loaders", "2", "--heap", "256m", "--dir", dir.resolve("work").toString(),
        "--csv", csv.toString(), "--png", png.toString()));
    if (!etcd) {
      argv.add("--no-etcd");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RestartCommand.run(new Args(argv, Set.of("no-etcd")), new PrintStream(out, true, StandardCharsets.UTF_8));

    List<String> lines = Files.readAllLines(csv);
    assertThat(lines.get(0)).isEqualTo(RestartRow.CSV_HEADER);
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith(RestartRow.CSV_HEADER).contains(lines.get(1));
    List<String[]> shardkv = lines.stream().skip(1).map(l -> l.split(",")).filter(f -> f[0].equals("shardkv")).toList();
    assertThat(shardkv).extracting(f -> f[1]).containsExactlyElementsOf(ShardkvRestartBench.MODES);
    assertThat(shardkv).allSatisfy(f -> {
      assertThat(Double.parseDouble(f[6])).as("restart seconds").isPositive();
      assertThat(Long.parseLong(f[3])).as("loaded MiB").isGreaterThanOrEqualTo(2);
      // Every shard's gate must have taken the path the mode is about.
      boolean restore = f[1].endsWith("restore");
      assertThat(f[7]).startsWith(restore ? "restored/" : "skipped/").doesNotContain(restore ? "skipped/" : "restored/");
    });
    if (etcd) {
      assertThat(lines.stream().skip(1).filter(l -> l.startsWith("etcd,")).map(l -> l.split(",")[1]))
          .containsExactlyElementsOf(EtcdRestartBench.MODES);
    }
    byte[] header = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
    assertThat(header).containsExactly(0x89, 'P', 'N', 'G');
  }
}
