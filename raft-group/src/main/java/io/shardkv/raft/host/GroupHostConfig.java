package io.shardkv.raft.host;

import io.shardkv.raft.ratis.TlsFiles;
import io.shardkv.raft.topology.PeerAddress;
import io.shardkv.raft.topology.ShardPlacement;
import io.shardkv.store.LmdbStoreConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one node needs to host its replicas of every shard group.
 *
 * @param clusterId names the cluster; group ids are derived from it and the shard number
 * @param nodeId this node's id, one of {@code peers}
 * @param peers every node of the cluster; a new cluster places each shard on {@code
 *     replicationFactor} of them ({@link ShardPlacement})
 * @param shardCount fixed number of shards
 * @param dataDir root of this node's data: Raft logs and LMDB environments live below it
 * @param store LMDB settings applied to every shard
 * @param requestTimeout how long a command or linearizable read may wait for its group
 * @param peerTls mutual TLS for Raft traffic between nodes; empty for plaintext
 * @param leaderBalanceInterval how often this node checks whether to claim a shard's leadership
 *     (the control plane's {@code LeaderBalancer}); zero turns balancing off
 * @param leaderLeaseReads whether a leader answers read-index requests from its lease instead
 *     of a heartbeat round (Ratis's leader lease; assumes bounded clock drift, see
 *     docs/configuration.md)
 * @param firstElectionTimeout how long a replica waits after its group starts before it asks
 *     for votes the first time (randomised between this and twice this); later elections wait
 *     400-800 ms. Pre-vote keeps an early first election from disturbing a live leader.
 * @param replicationFactor replicas per shard in a new cluster; with as many peers or fewer,
 *     every peer holds every shard
 * @param joinAs this node's own address when it is not one of {@code peers}: it joins the
 *     existing cluster through them (the seeds) and is given replicas by the placement controller
 */
public record GroupHostConfig(String clusterId, String nodeId, List<PeerAddress> peers,
    int shardCount, Path dataDir, LmdbStoreConfig store, Duration requestTimeout,
    Optional<TlsFiles> peerTls, Duration leaderBalanceInterval, boolean leaderLeaseReads,
    Duration firstElectionTimeout, int replicationFactor, Optional<PeerAddress> joinAs) {

  /** A node that is one of {@code peers}. */
  public GroupHostConfig(String clusterId, String nodeId, List<PeerAddress> peers,
      int shardCount, Path dataDir, LmdbStoreConfig store, Duration requestTimeout,
      Optional<TlsFiles> peerTls, Duration leaderBalanceInterval, boolean leaderLeaseReads,
      Duration firstElectionTimeout, int replicationFactor) {
    this(clusterId, nodeId, peers, shardCount, dataDir, store, requestTimeout, peerTls, leaderBalanceInterval,
        leaderLeaseReads, firstElectionTimeout, replicationFactor, Optional.empty());
  }

  /** Replicas per shard when none is configured. */
  public static final int DEFAULT_REPLICATION_FACTOR = 3;

  /**
   * The first-election wait when none is configured. Shorter than later elections' 400-800 ms:
   * a group with no leader to find (every node restarting, or a 1-node cluster) elects sooner,
   * and a replica restarting beside a live leader loses only a pre-vote (docs/benchmarks.md,
   * "Start-up timeline").
   */
  public static final Duration DEFAULT_FIRST_ELECTION_TIMEOUT = Duration.ofMillis(150);
  /** Shortest first-election wait accepted. */
  public static final Duration MIN_FIRST_ELECTION_TIMEOUT = Duration.ofMillis(50);
  /** Longest first-election wait accepted. */
  public static final Duration MAX_FIRST_ELECTION_TIMEOUT = Duration.ofSeconds(10);

  /** The default replication factor. */
  public GroupHostConfig(String clusterId, String nodeId, List<PeerAddress> peers,
      int shardCount, Path dataDir, LmdbStoreConfig store, Duration requestTimeout,
      Optional<TlsFiles> peerTls, Duration leaderBalanceInterval, boolean leaderLeaseReads,
      Duration firstElectionTimeout) {
    this(clusterId, nodeId, peers, shardCount, dataDir, store, requestTimeout, peerTls, leaderBalanceInterval,
        leaderLeaseReads, firstElectionTimeout, DEFAULT_REPLICATION_FACTOR);
  }

  /** The default first-election wait. */
  public GroupHostConfig(String clusterId, String nodeId, List<PeerAddress> peers,
      int shardCount, Path dataDir, LmdbStoreConfig store, Duration requestTimeout,
      Optional<TlsFiles> peerTls, Duration leaderBalanceInterval, boolean leaderLeaseReads) {
    this(clusterId, nodeId, peers, shardCount, dataDir, store, requestTimeout, peerTls, leaderBalanceInterval,
        leaderLeaseReads, DEFAULT_FIRST_ELECTION_TIMEOUT);
  }

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
    boolean seed = peers.stream().anyMatch(p -> p.id().equals(nodeId));
    if (joinAs.isPresent() && (seed || !joinAs.get().id().equals(nodeId))) {
      throw new IllegalArgumentException("join-as address " + joinAs.get() + " must be node '" + nodeId
          + "' and only for a node that is not among the peers " + peers);
    }
    if (!seed && joinAs.isEmpty()) {
      throw new IllegalArgumentException("node id '" + nodeId + "' is not among the peers " + peers
          + " and has no address of its own to join with");
    }
    if (leaderBalanceInterval.isNegative()) {
      throw new IllegalArgumentException("leader balance interval must not be negative, got " + leaderBalanceInterval);
    }
    if (firstElectionTimeout.compareTo(MIN_FIRST_ELECTION_TIMEOUT) < 0
        || firstElectionTimeout.compareTo(MAX_FIRST_ELECTION_TIMEOUT) > 0) {
      throw new IllegalArgumentException("first election timeout must be 50 ms to 10 s, got " + firstElectionTimeout);
    }
    if (shardCount < 1) {
      throw new IllegalArgumentException("shard count must be >= 1, got " + shardCount);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replication factor must be >= 1, got " + replicationFactor);
    }
  }

  /** Where a new cluster puts each shard's replicas (the same on every node). */
  public ShardPlacement placement() {
    return ShardPlacement.balanced(peers.stream().map(PeerAddress::id).toList(), shardCount, replicationFactor);
  }

  /** This node's address: its peers entry, or the address it joins with. */
  public PeerAddress self() {
    return joinAs.orElseGet(() -> peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow());
  }

  /** Ratis's storage root: one directory per group below it, each with its log segments. */
  public Path raftDir() {
    return dataDir.resolve("raft");
  }

  /** The nodes known from configuration: the peers, and this node if it joins from outside them. */
  public List<PeerAddress> knownNodes() {
    List<PeerAddress> known = new ArrayList<>(peers);
    joinAs.ifPresent(known::add);
    return known;
  }
}
