package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status.Code;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/api.md's status table parses, covers both services, and a drifted page is refused. */
class ApiStatusTableTest {
  private static final Path ROOT = Path.of(System.getProperty("shardkv.repo.root", "..")).toAbsolutePath().normalize();

  @Test
  void thePageCoversEveryMethodOfBothServices() throws Exception {
    ApiStatusTable table = ApiStatusTable.read(ROOT.resolve("docs/api.md"));
    for (String method : ApiStatusTable.methods()) {
      assertThat(table.codes(method)).as(method)
          .contains(Code.OK, Code.INVALID_ARGUMENT, Code.RESOURCE_EXHAUSTED)
          .doesNotContain(Code.INTERNAL, Code.UNKNOWN);
    }
    assertThat(table.codes("shardkv.v1.KV/Batch")).contains(Code.FAILED_PRECONDITION, Code.UNAVAILABLE);
    assertThat(table.codes("shardkv.v1.Admin/ClusterStatus"))
        .containsExactlyInAnyOrder(Code.OK, Code.INVALID_ARGUMENT, Code.RESOURCE_EXHAUSTED);
    assertThat(table.codes("shardkv.v1.Admin/RemoveReplica"))
        .contains(Code.UNAUTHENTICATED, Code.PERMISSION_DENIED, Code.FAILED_PRECONDITION);
    assertThat(table.codes("shardkv.v1.KV/Nope")).containsExactly(Code.UNIMPLEMENTED);
  }

  @Test
  void aPageThatDriftsFromTheServicesIsRefused() {
    String header = "# API\n\n## Status codes\n\n| method | code | when |\n|---|---|---|\n";
    assertThatThrownBy(() -> ApiStatusTable.parse(header + "| every method | `NOT_A_CODE` | x |\n"))
        .hasMessageContaining("NOT_A_CODE");
    assertThatThrownBy(() -> ApiStatusTable.parse(header + "| `shardkv.v1.KV/Gone` | `NOT_FOUND` | x |\n"))
        .hasMessageContaining("shardkv.v1.KV/Gone");
    assertThatThrownBy(() -> ApiStatusTable.parse(header + "| `shardkv.v1.KV/Put` | `UNAVAILABLE` | x |\n"))
        .hasMessageContaining("does not mention").hasMessageContaining("shardkv.v1.KV/Get");
  }
}
