package io.shardkv.server;

import com.codahale.metrics.MetricRegistry;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.control.ControlPlane;
import io.shardkv.raft.host.ShardGroupHost;
import io.shardkv.raft.readiness.StartupTimeline;
import io.shardkv.raft.topology.GroupIds;
import io.shardkv.router.MinOverShardsReader;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.metrics.MetricRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running node: metrics endpoint, the Ratis host with every shard group, and the gRPC server
 * (KV, Admin, health, reflection, snapshot transfer). Health reports NOT_SERVING until every local
 * replica has caught up and the minimum-over-shards applied index is known (invariant 7).
 */
public final class ShardkvNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardkvNode.class);
  private static final String KV_SERVICE = KVGrpc.SERVICE_NAME;
  private static final String ADMIN_SERVICE = AdminGrpc.SERVICE_NAME;
  /** Health service name that is SERVING while the process is up (Kubernetes liveness). */
  static final String LIVENESS_SERVICE = "liveness";

  private final ShardkvConfig config;
  private final MetricRegistry metrics;
  private final ShardGroupHost host;
  private final ControlPlane controlPlane;
  private final Provider<KvService> kvService;
  private final PeerChannels peerChannels;
  private final HealthStatusManager health = new HealthStatusManager();
  private final ScheduledExecutorService readiness = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "shardkv-readiness");
    t.setDaemon(true);
    return t;
  });
  private final ExecutorService grpcExecutor = Executors.newFixedThreadPool(8);
  private MetricsServer metricsServer;
  private Server server;
  private volatile boolean serving;
  /** Per shard; the transfers run in parallel, so a stop waits at most about this long for them. */
  private static final java.time.Duration HAND_OFF_TIMEOUT = java.time.Duration.ofSeconds(1);
  private final StartupTimeline timeline;

  @Inject
  ShardkvNode(ShardkvConfig config, MetricRegistry metrics, ShardGroupHost host, ControlPlane controlPlane,
      Provider<KvService> kvService, PeerChannels peerChannels, StartupTimeline timeline) {
    this.timeline = timeline;
    this.config = config;
    this.metrics = metrics;
    this.host = host;
    this.controlPlane = controlPlane;
    this.kvService = kvService;
    this.peerChannels = peerChannels;
  }

  /** Starts everything; returns once the gRPC server listens (health may still be NOT_SERVING). */
  public synchronized void start() throws IOException {
    RatisMetricsCollector ratisMetrics = new RatisMetricsCollector(MetricRegistries.global(), config.nodeId(),
        RatisMetricsCollector.shardsByGroupName(new GroupIds(config.clusterId()), config.shards()));
    metricsServer = new MetricsServer(metrics, List.of(ratisMetrics), config.metrics().host(), config.metrics().port());
    health.setStatus("", ServingStatus.NOT_SERVING);
    health.setStatus(KV_SERVICE, ServingStatus.NOT_SERVING);
    health.setStatus(ADMIN_SERVICE, ServingStatus.NOT_SERVING);
    host.start();
    controlPlane.start(host, config.placement());
    host.startScrubber(config.scrub());
    MinOverShardsReader minApplied = new MinOverShardsReader(host::appliedIndexReaders);
    metrics.gauge("shardkv_node_min_applied_index", () -> () -> minApplied.appliedIndex()
        .map(a -> a.index()).orElse(-1L));
    metrics.gauge("shardkv_node_serving", () -> () -> serving ? 1 : 0);
    health.setStatus(LIVENESS_SERVICE, ServingStatus.SERVING);
    AdminService admin = new AdminService(config, host, controlPlane, peerChannels, minApplied, () -> serving);
    NettyServerBuilder builder = ClientKeepAlive.permit(NettyServerBuilder
        .forAddress(new InetSocketAddress(config.client().host(), config.client().port())));
    config.security().tls().ifPresent(tls -> builder.sslContext(TlsContexts.server(tls)));
    server = builder
        .executor(grpcExecutor)
        // Every answer tells the asker which cluster map version this node has (peers catch up on it).
        .intercept(MapVersionExchange.telling(() -> controlPlane.clusterMap().getVersion()))
        .maxInboundMessageSize(config.limits().maxValueBytes() * 2 + (1 << 20))
        // Requests that are not valid protobuf: INVALID_ARGUMENT, after the interceptors (metrics, credentials).
        .addService(ServerInterceptors.intercept(MalformedRequests.refusedAsInvalidArgument(kvService.get().bindService()),
            new RpcMetricsInterceptor(metrics)))
        // The last interceptor runs first: refused admin calls are counted too.
        .addService(ServerInterceptors.intercept(MalformedRequests.refusedAsInvalidArgument(admin.bindService()),
            new AdminAuthInterceptor(config.security().adminToken(), config.security().adminCertSubjects()),
            new RpcMetricsInterceptor(metrics)))
        .addService(host.snapshotTransferService())
        .addService(ServerInterceptors.intercept(health.getHealthService(), new RpcMetricsInterceptor(metrics)))
        .addService(ProtoReflectionServiceV1.newInstance())
        // grpcurl before 1.8.8 and some GUIs only speak the v1alpha reflection protocol.
        .addService(legacyReflection())
        .build()
        .start();
    timeline.reached("grpc_listening");
    readiness.execute(() -> becomeServingWhenReady(minApplied));
    FollowerTimeoutReport timeouts = new FollowerTimeoutReport(MetricRegistries.global(), config.nodeId(),
        RatisMetricsCollector.shardsByGroupName(new GroupIds(config.clusterId()), config.shards()));
    readiness.scheduleWithFixedDelay(timeouts::check, 5, 5, TimeUnit.SECONDS);
    LOG.info("node {} listening: client {}:{}, raft {}:{}, metrics {}:{}/metrics, data {}", config.nodeId(),
        config.client().host(), server.getPort(), config.self().host(), config.self().raftPort(),
        config.metrics().host(), metricsServer.port(), config.dataDir().toAbsolutePath());
  }

  /**
   * Checks every 50 ms until the node may serve, then reports SERVING once and stops checking:
   * a serving node's readiness thread sleeps instead of waking 20 times a second.
   */
  private void becomeServingWhenReady(MinOverShardsReader minApplied) {
    // A node that holds no shard (more nodes than shards x replicas) serves as a router.
    if (!host.caughtUp() || (minApplied.appliedIndex().isEmpty() && !host.hostedShards().isEmpty())) {
      readiness.schedule(() -> becomeServingWhenReady(minApplied), 50, TimeUnit.MILLISECONDS);
      return;
    }
    serving = true;
    timeline.reached("serving");
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(KV_SERVICE, ServingStatus.SERVING);
    health.setStatus(ADMIN_SERVICE, ServingStatus.SERVING);
    LOG.info("node {} SERVING (shards {}, min applied index over them {})", config.nodeId(),
        host.hostedShards(), minApplied.appliedIndex().map(Object::toString).orElse("none"));
  }

  /** The bound client port. */
  public int clientPort() {
    return server.getPort();
  }

  /** The bound metrics port. */
  public int metricsPort() {
    return metricsServer.port();
  }

  public boolean serving() {
    return serving;
  }

  /**
   * Graceful stop: NOT_SERVING, hand the shards this node leads to peers (so their groups do
   * not wait out an election timeout), drain gRPC, stop the groups, close the rest.
   */
  @Override
  public synchronized void close() {
    health.enterTerminalState();
    readiness.shutdownNow();
    controlPlane.stopBalancing(); // it would claim the leaderships back
    host.handOffLeadership(HAND_OFF_TIMEOUT);
    if (server != null) {
      server.shutdown();
      try {
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          server.shutdownNow();
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    controlPlane.close();
    host.close();
    try {
      peerChannels.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    grpcExecutor.shutdownNow();
    if (metricsServer != null) {
      metricsServer.close();
    }
    LOG.info("node {} stopped", config.nodeId());
  }

  @SuppressWarnings("deprecation")
  private static io.grpc.BindableService legacyReflection() {
    return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
  }
}
