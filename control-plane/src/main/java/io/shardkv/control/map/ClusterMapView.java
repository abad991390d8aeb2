package io.shardkv.control.map;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.raft.topology.NodeDirectory;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's cached copy of the cluster map: the newest version it has seen, from its own
 * meta replica as it applies changes (on meta members), from reading the meta group every
 * refresh interval (on every node), and at once when another node's answer says it has seen a
 * newer version ({@link #heardOf}). A map never replaces a newer one. Each new map teaches the
 * {@link NodeDirectory} the nodes it adds.
 */
public final class ClusterMapView implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterMapView.class);

  /** Where the map is read from (the meta group's client; a fake in tests). */
  @FunctionalInterface
  public interface Source {
    ClusterMap read() throws IOException;
  }

  private final AtomicReference<ClusterMap> current = new AtomicReference<>(ClusterMapRules.empty());
  private final NodeDirectory directory;
  /** The newest version peers said they have seen. */
  private final AtomicLong heard = new AtomicLong();
  /** A read for {@link #heard} is queued and has not started: one is enough. */
  private final AtomicBoolean readQueued = new AtomicBoolean();
  private ScheduledExecutorService refresher;
  private Source source;

  public ClusterMapView(NodeDirectory directory) {
    this.directory = directory;
  }

  /** The newest map seen; version 0 (empty) before any. */
  public ClusterMap current() {
    return current.get();
  }

  /** The version of {@link #current()}: what this node tells the nodes it answers. */
  public long version() {
    return current.get().getVersion();
  }

  /** Keeps {@code map} if it is newer than the cached one. */
  public void offer(ClusterMap map) {
    ClusterMap before = current.getAndUpdate(old -> map.getVersion() > old.getVersion() ? map : old);
    if (map.getVersion() > before.getVersion()) {
      directory.learn(MapNodes.addresses(map));
    }
  }

  /**
   * Another node answered having seen map {@code version}: if that is newer than the cached one,
   * reads the map now rather than at the next refresh. Never blocks the caller (a gRPC thread).
   */
  public void heardOf(long version) {
    ScheduledExecutorService executor;
    synchronized (this) {
      executor = refresher;
    }
    if (version <= version() || executor == null) {
      return;
    }
    // Raised before the queued check, so a read already queued but not started sees it.
    heard.accumulateAndGet(version, Math::max);
    if (!readQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      executor.execute(() -> {
        readQueued.set(false);
        long wanted = heard.get();
        if (version() < wanted) {
          refresh("a peer has seen version " + wanted);
        }
      });
    } catch (RejectedExecutionException e) {
      readQueued.set(false); // closing
    }
  }

  /** Reads the map from {@code source} now and every {@code interval} after, until closed. */
  public synchronized void startRefreshing(Source source, Duration interval) {
    this.source = source;
    refresher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "shardkv-cluster-map");
      t.setDaemon(true);
      return t;
    });
    refresher.scheduleWithFixedDelay(() -> refresh("periodic"), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void refresh(String why) {
    long before = version();
    try {
      offer(source.read());
      if (version() > before) {
        LOG.debug("cluster map version {} -> {} ({} read)", before, version(), why);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("cluster map refresh ({}) failed (keeping version {}): {}", why, before, e.toString());
    }
  }

  @Override
  public synchronized void close() {
    if (refresher != null) {
      refresher.shutdownNow();
    }
  }
}
