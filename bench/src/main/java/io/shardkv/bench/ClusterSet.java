package io.shardkv.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Everything a command started (clusters, clients), closed in reverse order on close, and
 * also on Ctrl-C through a shutdown hook: a benchmark never leaves servers behind.
 */
final class ClusterSet implements AutoCloseable {
  static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private final Deque<AutoCloseable> owned = new ArrayDeque<>();
  private final Thread hook = new Thread(this::closeQuietly, "stop-clusters");

  ClusterSet() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** A 3-node shardkv cluster with 4 shards, started and SERVING. */
  ShardkvCluster shardkv(Path dir, String heap) throws IOException {
    ShardkvCluster c = own(new ShardkvCluster(dir, 3, 4, heap, ""));
    c.startAll(START_TIMEOUT);
    return c;
  }

  /** A 3-member etcd cluster, started and healthy. */
  EtcdCluster etcd(Path dir) throws IOException {
    String binary = EtcdCluster.findBinary().orElseThrow(() -> new IllegalStateException(
        "no etcd binary on the PATH (apt-get install etcd-server), or pass --no-etcd"));
    EtcdCluster c = own(new EtcdCluster(dir, binary, 3));
    c.startAll(START_TIMEOUT);
    return c;
  }

  synchronized <T extends AutoCloseable> T own(T resource) {
    owned.push(resource);
    return resource;
  }

  private synchronized void closeQuietly() {
    while (!owned.isEmpty()) {
      try {
        owned.pop().close();
      } catch (Exception e) {
        System.err.println("stopping: " + e);
      }
    }
  }

  @Override
  public void close() {
    closeQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is running or ran; nothing left to do.
    }
  }
}
