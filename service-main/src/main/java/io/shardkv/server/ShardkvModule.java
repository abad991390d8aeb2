package io.shardkv.server;

import com.codahale.metrics.MetricRegistry;
import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.shardkv.control.ControlPlane;
import io.shardkv.control.map.ClusterMapView;
import io.shardkv.raft.host.ShardGroupHost;
import io.shardkv.raft.readiness.StartupTimeline;
import io.shardkv.raft.snapshot.GrpcSnapshotFetcher;
import io.shardkv.raft.topology.NodeDirectory;
import io.shardkv.router.KvRouter;
import io.shardkv.router.ShardMap;
import io.shardkv.store.CrashPoints;
import java.util.List;

/** Wires one node from its configuration. The only place that knows how parts fit together. */
public final class ShardkvModule extends AbstractModule {
  private static final long SNAPSHOT_TRANSFER_DEADLINE_SECONDS = 1800;
  private final ShardkvConfig config;
  private final CrashPoints crashPoints;
  private final MetricRegistry metrics;
  private final StartupTimeline timeline;

  public ShardkvModule(ShardkvConfig config, CrashPoints crashPoints) {
    this(config, crashPoints, new MetricRegistry());
  }

  private ShardkvModule(ShardkvConfig config, CrashPoints crashPoints, MetricRegistry metrics) {
    this(config, crashPoints, metrics, new StartupTimeline(metrics));
  }

  /** @param timeline the start-up timeline {@code main} began, publishing to {@code metrics} */
  public ShardkvModule(ShardkvConfig config, CrashPoints crashPoints, MetricRegistry metrics,
      StartupTimeline timeline) {
    this.config = config;
    this.crashPoints = crashPoints;
    this.metrics = metrics;
    this.timeline = timeline;
  }

  @Override
  protected void configure() {
    bind(ShardkvConfig.class).toInstance(config);
    bind(MetricRegistry.class).toInstance(metrics);
    bind(StartupTimeline.class).toInstance(timeline);
  }

  @Provides
  @Singleton
  NodeDirectory nodeDirectory() {
    return new NodeDirectory(config.groupHostConfig().knownNodes());
  }

  @Provides
  @Singleton
  ClusterMapView clusterMapView(NodeDirectory nodes) {
    return new ClusterMapView(nodes);
  }

  @Provides
  @Singleton
  PeerChannels peerChannels(NodeDirectory nodes, ClusterMapView mapView) {
    return new PeerChannels(config, nodes, mapView);
  }

  @Provides
  @Singleton
  ControlPlane controlPlane(MetricRegistry metrics, ClusterMapView mapView) {
    return new ControlPlane(config.groupHostConfig(), mapView, metrics);
  }

  @Provides
  @Singleton
  ShardGroupHost shardGroupHost(MetricRegistry metrics, PeerChannels channels, NodeDirectory nodes,
      ControlPlane controlPlane) {
    return new ShardGroupHost(config.groupHostConfig(), config.replicationPolicy(), config.proposalPolicy(),
        new GrpcSnapshotFetcher(config.clusterId(), channels::to, SNAPSHOT_TRANSFER_DEADLINE_SECONDS, metrics),
        crashPoints, metrics, timeline, nodes, List.of(controlPlane.metaGroup()));
  }

  @Provides
  @Singleton
  KvRouter kvRouter(ShardGroupHost host) {
    // The host's client is valid once the node started the host; the router is built lazily
    // by ShardkvNode after that.
    return new KvRouter(host.client(), new ShardMap(config.shards()));
  }

  @Provides
  @Singleton
  RequestValidator requestValidator() {
    return new RequestValidator(config.limits(), ConfigLoader.maxKeyBytes());
  }
}
