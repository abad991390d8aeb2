package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.shardkv.api.v1.AdminGrpc;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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

  /**
   * Every Admin method but the read-only ones is refused without a credential, before the
   * service sees it: a method added to admin.proto is protected without being listed anywhere.
   */
  @Test
  void everyAdminMethodButTheReadOnlyOnesNeedsACredential() throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new AdminGrpc.AdminImplBase() { }, withToken)).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      Map<String, Status.Code> answers = new TreeMap<>();
      Map<String, Status.Code> expected = new TreeMap<>();
      for (MethodDescriptor<?, ?> m : AdminGrpc.getServiceDescriptor().getMethods()) {
        expected.put(m.getFullMethodName(), AdminAuthInterceptor.READ_ONLY.contains(m.getFullMethodName())
            ? Status.Code.UNIMPLEMENTED : Status.Code.UNAUTHENTICATED); // the bare service implements nothing
        answers.put(m.getFullMethodName(), call(channel, m));
      }
      assertThat(answers).isEqualTo(expected);
      assertThat(answers).containsEntry(AdminGrpc.getUndrainNodeMethod().getFullMethodName(),
          Status.Code.UNAUTHENTICATED);
      assertThat(AdminAuthInterceptor.READ_ONLY).containsExactlyInAnyOrder(
          AdminGrpc.getClusterStatusMethod().getFullMethodName(), AdminGrpc.getVerifyShardMethod().getFullMethodName());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> Status.Code call(ManagedChannel channel, MethodDescriptor<Q, R> method) {
    Q request = (Q) ((MethodDescriptor.PrototypeMarshaller<Q>) method.getRequestMarshaller()).getMessagePrototype();
    try {
      ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          request);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }
}
