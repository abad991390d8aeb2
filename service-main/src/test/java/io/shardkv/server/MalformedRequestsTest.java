package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.ProtoFileDescriptorSupplier;
import io.grpc.stub.ClientCalls;
import io.shardkv.api.v1.GetResponse;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.PutResponse;
import io.shardkv.raft.client.InMemoryShardGroupClient;
import io.shardkv.router.KvRouter;
import io.shardkv.router.ShardMap;
import io.shardkv.server.ShardkvConfig.Limits;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DESIGN invariant 9 for bytes that are not a request message at all: sent through a raw call,
 * as a client in another language (or a broken one) can, they are answered INVALID_ARGUMENT
 * naming the request type, not grpc-java's UNKNOWN "Application error processing RPC".
 */
class MalformedRequestsTest {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  private final MetricRegistry metrics = new MetricRegistry();
  private ServerServiceDefinition kv;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    InMemoryShardGroupClient groups = new InMemoryShardGroupClient(4);
    kv = MalformedRequests.refusedAsInvalidArgument(new KvService(
        new RequestValidator(new Limits(1 << 20, 1000, 10_000), 511),
        new KvRouter(groups, new ShardMap(groups.shardCount()))).bindService());
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(kv, new RpcMetricsInterceptor(metrics)))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private byte[] raw(MethodDescriptor<?, ?> method, byte[] request) {
    MethodDescriptor<byte[], byte[]> m = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(method.getFullMethodName())
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    return ClientCalls.blockingUnaryCall(channel, m, CallOptions.DEFAULT, request);
  }

  private static void assertInvalid(Runnable call, String... messageParts) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).contains(messageParts);
    });
  }

  @Test
  void invariant9_bytesThatAreNotTheRequestMessageAreInvalidArgument() {
    // A truncated field: tag of field 1 (bytes), length 5, one byte of content.
    assertInvalid(() -> raw(KVGrpc.getPutMethod(), new byte[] {0x0a, 0x05, 'k'}),
        "request is not a valid shardkv.v1.PutRequest", "ended unexpectedly");
    // A varint that never ends, an end-group tag without a start, and field number 0.
    assertInvalid(() -> raw(KVGrpc.getGetMethod(), new byte[] {0x10, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}),
        "shardkv.v1.GetRequest");
    assertInvalid(() -> raw(KVGrpc.getScanMethod(), new byte[] {0x0c}), "shardkv.v1.ScanRequest");
    assertInvalid(() -> raw(KVGrpc.getDeleteMethod(), new byte[] {0x00}), "shardkv.v1.DeleteRequest");
    // The interceptors outside it see the refusal like any failed call.
    assertThat(metrics.counter(io.shardkv.raft.metrics.MetricNames.labelled("shardkv_rpc_errors_total", "service", "KV",
        "method", "Put", "code", "INVALID_ARGUMENT")).getCount()).isEqualTo(1);
  }

  @Test
  void validBytesStillReachTheServiceAndItsValidation() throws Exception {
    PutRequest put = PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
        .setValue(ByteString.copyFromUtf8("v")).build();
    assertThat(PutResponse.parseFrom(raw(KVGrpc.getPutMethod(), put.toByteArray())).getIndex()).isPositive();
    KVGrpc.KVBlockingStub stub = KVGrpc.newBlockingStub(channel);
    assertThat(stub.get(io.shardkv.api.v1.GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build()))
        .isEqualTo(GetResponse.newBuilder().setFound(true).setValue(ByteString.copyFromUtf8("v")).build());
    // An empty message is a valid (all-default) request: the validator answers it.
    assertInvalid(() -> raw(KVGrpc.getPutMethod(), new byte[0]), "key must not be empty");
  }

  @Test
  void theWrappedServiceKeepsItsNameMethodsAndSchemaForReflection() {
    assertThat(kv.getServiceDescriptor().getName()).isEqualTo(KVGrpc.SERVICE_NAME);
    assertThat(kv.getServiceDescriptor().getSchemaDescriptor()).isInstanceOf(ProtoFileDescriptorSupplier.class);
    assertThat(kv.getMethods()).extracting(m -> m.getMethodDescriptor().getFullMethodName())
        .containsExactlyInAnyOrderElementsOf(KVGrpc.getServiceDescriptor().getMethods().stream()
            .map(MethodDescriptor::getFullMethodName).toList());
  }
}
