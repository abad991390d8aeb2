package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MapVersionExchangeTest {
  private final AtomicLong version = new AtomicLong(7);
  private final List<Long> heard = new CopyOnWriteArrayList<>();
  private Server server;
  private ManagedChannel channel;

  private HealthGrpc.HealthBlockingStub start(boolean serverTells) throws Exception {
    String name = InProcessServerBuilder.generateName();
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("known", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor();
    builder.addService(health.getHealthService());
    if (serverTells) {
      builder.intercept(MapVersionExchange.telling(version::get)); // as the node's server does, for every service
    }
    server = builder.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return HealthGrpc.newBlockingStub(ClientInterceptors.intercept(channel, MapVersionExchange.hearing(heard::add)))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void anAnswerCarriesTheServersMapVersion() throws Exception {
    HealthGrpc.HealthBlockingStub stub = start(true);
    stub.check(HealthCheckRequest.newBuilder().setService("known").build());
    assertThat(heard).contains(7L);
    version.set(8);
    stub.check(HealthCheckRequest.newBuilder().setService("known").build());
    assertThat(heard).contains(8L);
  }

  @Test
  void aRefusalWithoutHeadersCarriesItInItsTrailers() throws Exception {
    HealthGrpc.HealthBlockingStub stub = start(true);
    assertThatThrownBy(() -> stub.check(HealthCheckRequest.newBuilder().setService("unknown").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThat(heard).containsExactly(7L);
  }

  @Test
  void aServerThatSaysNothingTeachesNothing() throws Exception {
    HealthGrpc.HealthBlockingStub stub = start(false);
    stub.check(HealthCheckRequest.newBuilder().setService("known").build());
    assertThat(heard).isEmpty();
  }
}
