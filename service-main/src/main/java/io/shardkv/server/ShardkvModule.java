package io.shardkv.server;

import com.codahale.metrics.MetricRegistry;
import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.shardkv.raft.GrpcSnapshotFetcher;
import io.shardkv.raft.ShardGroupHost;
import io.shardkv.router.KvRouter;
import io.shardkv.router.ShardMap;
import io.shardkv.store.CrashPoints;

/** Wires one node from its configuration. The only place that knows how parts fit together. */
public final class ShardkvModule extends AbstractModule {
  private static final long SNAPSHOT_TRANSFER_DEADLINE_SECONDS = 1800;
  private final ShardkvConfig config;
  private final CrashPoints crashPoints;

  public ShardkvModule(ShardkvConfig config, CrashPoints crashPoints) {
    this.config = config;
    this.crashPoints = crashPoints;
  }

  @Override
  protected void configure() {
    bind(ShardkvConfig.class).toInstance(config);
    bind(MetricRegistry.class).toInstance(new MetricRegistry());
  }

  @Provides
  @Singleton
  PeerChannels peerChannels() {
    return new PeerChannels(config);
  }

  @Provides
  @Singleton
  ShardGroupHost shardGroupHost(MetricRegistry metrics, PeerChannels channels) {
    return new ShardGroupHost(config.groupHostConfig(), config.replicationPolicy(), config.proposalPolicy(),
        new GrpcSnapshotFetcher(config.clusterId(), channels::to, SNAPSHOT_TRANSFER_DEADLINE_SECONDS),
        crashPoints, metrics);
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
