package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.TakeSnapshotRequest;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * docs/operations.md as a new operator uses it: every grpcurl command on the page, replayed in
 * order against three node processes through server reflection (as grpcurl does), succeeds or
 * fails with the code the page documents; and the metrics the page lists are served and move.
 */
class OperationsDocIT extends ClusterTest {
  private static final Path ROOT = Path.of(System.getProperty("shardkv.repo.root", "..")).toAbsolutePath().normalize();
  private static final String TOKEN = "ops-doc-it-token-0123456789";
  private String page;

  @BeforeEach
  void startCluster() throws Exception {
    page = Files.readString(ROOT.resolve("docs/operations.md"));
    Path token = dir.resolve("admin-token");
    Files.writeString(token, TOKEN + "\n");
    cluster = new ProcessCluster(dir, "security.admin-token-file = \"" + token + "\"");
    cluster.startAll();
  }

  @Test
  void everyGrpcurlCommandInTheOperationsPageWorks() throws Exception {
    List<GrpcurlReplay.Command> commands = GrpcurlReplay.commands(page, Map.of("TOKEN", TOKEN));
    List<String> methods = new ArrayList<>();
    for (GrpcurlReplay.Command c : commands) {
      methods.add(c.args().get(c.args().size() - 1));
    }
    // The page must show a command for every Admin call and for the health service.
    assertThat(methods).contains("list", "shardkv.v1.Admin/ClusterStatus", "shardkv.v1.Admin/TakeSnapshot",
        "shardkv.v1.Admin/TransferLeader", "shardkv.v1.Admin/AddReplica", "shardkv.v1.Admin/RemoveReplica",
        "shardkv.v1.Admin/VerifyShard", "shardkv.v1.Admin/DrainNode", "shardkv.v1.Admin/AddNode",
        "shardkv.v1.Admin/RemoveNode", "shardkv.v1.Admin/UndrainNode", "grpc.health.v1.Health/Check");

    for (GrpcurlReplay.Command c : commands) {
      GrpcurlReplay.Result r = GrpcurlReplay.run(c, address -> cluster.channel(nodeAt(address)));
      String what = String.join(" ", c.args()) + "\n-> " + r.output();
      Optional<Status.Code> documented = c.documentedError();
      if (documented.isPresent()) {
        assertThat(r.code()).as(what).isEqualTo(documented.get());
        continue;
      }
      assertThat(r.code()).as(what).isEqualTo(Status.Code.OK);
      if (c.args().contains("list")) {
        assertThat(r.output().lines().toList()).as("services listed on the page")
            .containsExactlyElementsOf(c.documentedOutput().strip().lines().toList());
      }
      if (c.args().contains("shardkv.v1.Admin/ClusterStatus")) {
        assertThat(r.output()).contains("\"answeredBy\": \"n1\"").contains("\"coldStart\"");
      }
    }
  }

  /** The documented dev address 127.0.0.1:700N is node N of the test cluster. */
  private static int nodeAt(String address) {
    Matcher m = Pattern.compile("127\\.0\\.0\\.1:700([1-3])").matcher(address);
    if (!m.matches()) {
      throw new IllegalArgumentException("the page uses address " + address + "; use the dev ports 7001-7003");
    }
    return Integer.parseInt(m.group(1)) - 1;
  }

  @Test
  void theMetricsThePageListsAreServedAndMove() throws Exception {
    String before = cluster.scrape(0);
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      List<String> keys = Keys.inShard(s, 5, "metrics-");
      for (String key : keys) {
        put(0, key, "v");
      }
      // n1 may follow this shard: an acknowledged write is applied there a moment later.
      String last = keys.get(keys.size() - 1);
      Await.until(java.time.Duration.ofSeconds(30), "n1 applied " + last, () -> get(0, last, true).isPresent());
    }
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
    AdminGrpc.newBlockingStub(cluster.channel(0)).withDeadlineAfter(60, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .takeSnapshot(TakeSnapshotRequest.newBuilder().setAll(true).build());
    try {
      cluster.kv(0).get(GetRequest.getDefaultInstance()); // empty key: INVALID_ARGUMENT
    } catch (StatusRuntimeException expected) {
      assertThat(expected.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    String after = cluster.scrape(0);

    // Every family in the page's metrics table is served, and nothing outside the convention.
    Matcher listed = Pattern.compile("(?m)^\\| `(shardkv_[a-z_]+)").matcher(page);
    List<String> families = new ArrayList<>();
    while (listed.find()) {
      families.add(listed.group(1));
    }
    assertThat(families).hasSizeGreaterThan(10);
    for (String family : families) {
      boolean summary = after.contains("# TYPE " + family + " summary");
      assertThat(PrometheusText.has(after, summary ? family + "_count" : family)).as(family).isTrue();
    }
    after.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
        .forEach(l -> assertThat(l).matches("shardkv_[a-z_]+(\\{.*\\})? .*"));

    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      String shard = Integer.toString(s);
      // Five puts per shard are five data entries; group commit may put several in one transaction.
      assertThat(PrometheusText.sum(after, "shardkv_apply_batch_ops_count", "shard", shard))
          .isGreaterThanOrEqualTo(PrometheusText.sum(before, "shardkv_apply_batch_ops_count", "shard", shard) + 5);
      assertThat(PrometheusText.sum(after, "shardkv_apply_seconds_count", "shard", shard))
          .isGreaterThan(PrometheusText.sum(before, "shardkv_apply_seconds_count", "shard", shard));
      assertThat(PrometheusText.sum(after, "shardkv_raft_applied_index", "shard", shard))
          .isGreaterThan(PrometheusText.sum(before, "shardkv_raft_applied_index", "shard", shard));
      assertThat(PrometheusText.sum(after, "shardkv_store_durable_applied_index", "shard", shard))
          .isGreaterThan(PrometheusText.sum(before, "shardkv_store_durable_applied_index", "shard", shard));
      assertThat(PrometheusText.sum(after, "shardkv_snapshot_index", "shard", shard)).isNotNegative();
      assertThat(PrometheusText.sum(after, "shardkv_snapshot_size_bytes", "shard", shard)).isPositive();
      assertThat(PrometheusText.sum(after, "shardkv_snapshot_seconds_count", "shard", shard)).isPositive();
      double used = PrometheusText.sum(after, "shardkv_store_used_bytes", "shard", shard);
      assertThat(used).isPositive()
          .isLessThanOrEqualTo(PrometheusText.sum(after, "shardkv_store_map_size_bytes", "shard", shard));
    }
    assertThat(PrometheusText.sum(after, "shardkv_rpc_seconds_count", "service", "KV", "method", "Put"))
        .isGreaterThanOrEqualTo(PrometheusText.sum(before, "shardkv_rpc_seconds_count", "service", "KV", "method", "Put")
            + 5 * ProcessCluster.SHARDS);
    assertThat(PrometheusText.sum(after, "shardkv_rpc_errors_total", "method", "Get", "code", "INVALID_ARGUMENT"))
        .isEqualTo(1);
    assertThat(PrometheusText.sum(after, "shardkv_coldstart_total", "outcome", "restored", "reason", "no_store"))
        .isEqualTo(ProcessCluster.SHARDS);
    assertThat(PrometheusText.sum(after, "shardkv_apply_batch_ops_count")).isPositive();
    assertThat(PrometheusText.sum(after, "shardkv_node_serving")).isEqualTo(1);
    assertThat(PrometheusText.sum(after, "shardkv_node_min_applied_index")).isNotNegative();
  }
}
