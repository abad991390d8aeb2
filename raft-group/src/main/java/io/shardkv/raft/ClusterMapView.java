package io.shardkv.raft;

import io.shardkv.api.internal.v1.ClusterMap;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's cached copy of the cluster map: the newest version it has seen, from its own
 * meta replica as it applies changes (on meta members) and from reading the meta group every
 * refresh interval (on every node). A map never replaces a newer one. Each new map teaches the
 * {@link NodeDirectory} the nodes it adds.
 */
public final class ClusterMapView implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterMapView.class);

  private final AtomicReference<ClusterMap> current = new AtomicReference<>(ClusterMapRules.empty());
  private final NodeDirectory directory;
  private ScheduledExecutorService refresher;

  public ClusterMapView(NodeDirectory directory) {
    this.directory = directory;
  }

  /** The newest map seen; version 0 (empty) before any. */
  public ClusterMap current() {
    return current.get();
  }

  /** Keeps {@code map} if it is newer than the cached one. */
  public void offer(ClusterMap map) {
    ClusterMap before = current.getAndUpdate(old -> map.getVersion() > old.getVersion() ? map : old);
    if (map.getVersion() > before.getVersion()) {
      directory.learn(map);
    }
  }

  /** Reads the map from the meta group every {@code interval} until closed. */
  public synchronized void startRefreshing(ClusterMapClient client, Duration interval) {
    refresher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "shardkv-cluster-map");
      t.setDaemon(true);
      return t;
    });
    refresher.scheduleWithFixedDelay(() -> {
      try {
        offer(client.read());
      } catch (IOException | RuntimeException e) {
        LOG.debug("cluster map refresh failed (keeping version {}): {}", current().getVersion(), e.toString());
      }
    }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    if (refresher != null) {
      refresher.shutdownNow();
    }
  }
}
