package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdminAuthInterceptorTest {
  private static final String TOKEN = "0123456789abcdef-admin";
  private final AdminAuthInterceptor withToken = new AdminAuthInterceptor(Optional.of(TOKEN), List.of());

  private static Status.Code code(Status s) {
    return s == null ? Status.Code.OK : s.getCode();
  }

  @Test
  void noCredentialIsUnauthenticated() {
    assertThat(code(withToken.check(null, null))).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(code(withToken.check("Basic " + TOKEN, null))).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void wrongTokenIsPermissionDenied() {
    assertThat(code(withToken.check("Bearer " + TOKEN + "x", null))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(withToken.check("Bearer ", null))).isEqualTo(Status.Code.PERMISSION_DENIED);
    // A node without a token refuses every token rather than accepting any.
    assertThat(code(new AdminAuthInterceptor(Optional.empty(), List.of()).check("Bearer " + TOKEN, null)))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void theTokenIsAccepted() {
    assertThat(withToken.check("Bearer " + TOKEN, null)).isNull();
    assertThat(withToken.check("bearer " + TOKEN + " ", null)).isNull();
  }
}
