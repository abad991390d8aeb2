package io.shardkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restart benchmark once at a tiny size: every mode restarts, the gate did what the mode
 * asks (skip or restore), and the CSV and the PNG are written. etcd joins in if installed.
 */
class RestartHarnessTest {
  @TempDir
  Path dir;

  @Test
  void timesEveryModeAndWritesCsvAndPlot() throws Exception {
    RestartConfig config = new RestartConfig(List.of(0.002), 1, 4096, 64, 2, dir, "256m");
    List<RestartRow> rows = RestartCommand.run(config, EtcdCluster.findBinary(),
        new PrintStream(PrintStream.nullOutputStream()));
    Path csv = dir.resolve("out/restart.csv");
    Path png = dir.resolve("out/restart.png");
    RestartCommand.write(rows, csv, png);

    List<RestartRow> shardkv = rows.stream().filter(r -> r.system().equals("shardkv")).toList();
    assertThat(shardkv).extracting(RestartRow::mode).containsExactlyElementsOf(ShardkvRestartBench.MODES);
    assertThat(shardkv).allSatisfy(r -> {
      assertThat(r.seconds()).isPositive();
      assertThat(r.loadedMib()).isGreaterThanOrEqualTo(2);
      // Every shard's gate must have taken the path the mode is about.
      assertThat(r.detail()).startsWith(r.mode().endsWith("restore") ? "restored/" : "skipped/")
          .doesNotContain(r.mode().endsWith("restore") ? "skipped/" : "restored/");
    });
    if (EtcdCluster.findBinary().isPresent()) {
      assertThat(rows.stream().filter(r -> r.system().equals("etcd")).map(RestartRow::mode))
          .containsExactlyElementsOf(EtcdRestartBench.MODES);
    }
    assertThat(Files.readAllLines(csv)).hasSize(rows.size() + 1).first().isEqualTo(RestartRow.CSV_HEADER);
    byte[] header = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
    assertThat(header).containsExactly(0x89, 'P', 'N', 'G');
  }
}
