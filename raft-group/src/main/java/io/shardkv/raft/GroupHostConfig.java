package io.shardkv.raft;

import io.shardkv.store.LmdbStoreConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What one node needs to host its replicas of every shard group.
 *
 * @param clusterId names the cluster; group ids are derived from it and the shard number
 * @param nodeId this node's id, one of {@code peers}
 * @param peers every node of the cluster (each hosts a replica of every shard)
 * @param shardCount fixed number of shards
 * @param dataDir root of this node's data: Raft logs and LMDB environments live below it
 * @param store LMDB settings applied to every shard
 * @param requestTimeout how long a command or linearizable read may wait for its group
 * @param peerTls mutual TLS for Raft traffic between nodes; empty for plaintext
 * @param leaderBalanceInterval how often this node checks whether to claim a shard's leadership
 *     ({@link LeaderBalancer}); zero turns balancing off
 * @param leaderLeaseReads whether a leader answers read-index requests from its lease instead
 *     of a heartbeat round (Ratis's leader lease; assumes bounded clock drift, see
 *     docs/configuration.md)
 */
public record GroupHostConfig(String clusterId, String nodeId, List<PeerAddress> peers,
    int shardCount, Path dataDir, LmdbStoreConfig store, Duration requestTimeout,
    Optional<TlsFiles> peerTls, Duration leaderBalanceInterval, boolean leaderLeaseReads) {

  /** No leader balancing, no lease reads. */
  public GroupHostConfig(String clusterId, String nodeId, List<PeerAddress> peers,
      int shardCount, Path dataDir, LmdbStoreConfig store, Duration requestTimeout,
      Optional<TlsFiles> peerTls) {
    this(clusterId, nodeId, peers, shardCount, dataDir, store, requestTimeout, peerTls, Duration.ZERO, false);
  }

  /** Plaintext Raft traffic. */
  public GroupHostConfig(String clusterId, String nodeId, List<PeerAddress> peers,
      int shardCount, Path dataDir, LmdbStoreConfig store, Duration requestTimeout) {
    this(clusterId, nodeId, peers, shardCount, dataDir, store, requestTimeout, Optional.empty());
  }

  public GroupHostConfig {
    peers = List.copyOf(peers);
    if (peers.stream().noneMatch(p -> p.id().equals(nodeId))) {
      throw new IllegalArgumentException("node id '" + nodeId + "' is not among the peers " + peers);
    }
    if (leaderBalanceInterval.isNegative()) {
      throw new IllegalArgumentException("leader balance interval must not be negative, got " + leaderBalanceInterval);
    }
    if (shardCount < 1) {
      throw new IllegalArgumentException("shard count must be >= 1, got " + shardCount);
    }
  }

  public PeerAddress self() {
    return peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow();
  }
}
