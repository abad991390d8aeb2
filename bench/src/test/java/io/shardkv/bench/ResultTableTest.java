package io.shardkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResultTableTest {
  private static LoadResult result(String target, double opsPerSecond, double p99) {
    return new LoadResult(target, "put", 16, 4, 1024, 100, 0, 1, opsPerSecond, 1, 2, p99, p99, p99, "");
  }

  @Test
  void comparisonShowsBothAndTheRatioShardkvOverEtcd() {
    String table = ResultTable.comparison(List.of(result("shardkv", 300, 20), result("etcd", 600, 10)));
    assertThat(table).contains("| put | 16 | 300 | 600 | 0.50 | 1.00 | 1.00 | 20.00 | 10.00 | 2.00 | 0/0 |");
  }

  @Test
  void aMissingSideShowsADash() {
    assertThat(ResultTable.comparison(List.of(result("shardkv", 300, 20)))).contains("| 300 | - | - |");
  }

  @Test
  void jsonEscapesErrorText() {
    assertThat(Json.quote("a \"b\"\n\\")).isEqualTo("\"a \\\"b\\\"\\n\\\\\"");
  }

  @Test
  void argsParseDurationsListsAndRejectTypos() {
    Args a = new Args(List.of("--duration", "500ms", "--clients", "1,16", "--stale", "--clinets", "3"), Set.of("stale"));
    assertThat(a.duration("duration", "1s")).isEqualTo(Duration.ofMillis(500));
    assertThat(a.list("clients", "")).containsExactly("1", "16");
    assertThat(a.flag("stale")).isTrue();
    assertThatThrownBy(a::rejectUnknown).hasMessageContaining("--clinets");
  }

  @Test
  void labelsNameTheMix() {
    Workload w = new Workload(Workload.Kind.MIXED, 20, true, 1, 1, 1, 1, Duration.ofSeconds(1), 0, 1);
    assertThat(w.label()).isEqualTo("mixed-20w-stale");
    assertThat(w.withClients(256).clients()).isEqualTo(256);
  }
}
