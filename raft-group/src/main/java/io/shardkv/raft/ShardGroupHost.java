package io.shardkv.raft;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.store.AppliedIndexReader;
import java.io.IOException;
import java.util.List;

/**
 * One node's Ratis server hosting its replica of every shard group, each over its own LMDB
 * store. Start it, then use {@link #client()} to reach the groups.
 */
public final class ShardGroupHost implements AutoCloseable {
  private final GroupHostConfig config;
  private final MetricRegistry metrics;

  public ShardGroupHost(GroupHostConfig config, MetricRegistry metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  /** Opens the stores, starts the Ratis server and joins every shard group. */
  public void start() throws IOException {
    throw new UnsupportedOperationException("being written");
  }

  /** Reaches the groups (leader routing, retries, timeouts). Valid after {@link #start()}. */
  public ShardGroupClient client() {
    throw new UnsupportedOperationException("being written");
  }

  /** Per-shard applied-index readers of this node's replicas, indexed by shard. */
  public List<AppliedIndexReader> appliedIndexReaders() {
    throw new UnsupportedOperationException("being written");
  }

  /**
   * True once every local replica has applied at least the commit index its group had when this
   * node first heard from a leader after start: the node has caught up and may serve.
   */
  public boolean caughtUp() {
    throw new UnsupportedOperationException("being written");
  }

  @Override
  public void close() {
    throw new UnsupportedOperationException("being written");
  }
}
