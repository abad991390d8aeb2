package io.shardkv.server;

import io.shardkv.control.placement.PlacementPolicy;
import io.shardkv.raft.client.ProposalPolicy;
import io.shardkv.raft.health.ScrubPolicy;
import io.shardkv.raft.host.GroupHostConfig;
import io.shardkv.raft.host.ReplicationPolicy;
import io.shardkv.raft.ratis.TlsFiles;
import io.shardkv.raft.topology.PeerAddress;
import io.shardkv.store.LmdbStoreConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A node's validated configuration (see docs/configuration.md). Built by {@link ConfigLoader}.
 */
public record ShardkvConfig(String clusterId, String nodeId, int shards, int replicationFactor, Path dataDir,
    List<Peer> peers, Endpoint client, Endpoint metrics, Limits limits, LmdbStoreConfig store,
    RaftSettings raft, Security security, ScrubPolicy scrub, Optional<Peer> joinAs, PlacementPolicy placement) {

  /**
   * TLS and admin credentials. {@code tls} empty: plaintext everywhere (as in dev).
   * {@code adminToken} is the bearer token read from {@code security.admin-token-file};
   * {@code adminCertSubjects} the TLS client-certificate subjects (X.500 names) granted admin.
   */
  public record Security(Optional<Tls> tls, Optional<String> adminToken, List<String> adminCertSubjects) {}

  /**
   * TLS on the client port and mutual TLS between nodes, with one identity per node.
   * {@code requireClientCert}: clients must present a certificate signed by the trusted CA.
   */
  public record Tls(TlsFiles files, boolean requireClientCert) {}

  /** A cluster member; {@code clientPort} is where its KV and snapshot-transfer service listen. */
  public record Peer(String id, String host, int raftPort, int clientPort) {}

  /** A listen address. Port 0 picks an ephemeral port. */
  public record Endpoint(String host, int port) {}

  /** Request limits enforced at the edge (DESIGN invariant 9). */
  public record Limits(int maxValueBytes, int maxBatchMutations, int maxScanLimit) {}

  /** Replication settings. */
  public record RaftSettings(Duration requestTimeout, long snapshotAutoTriggerEntries, int snapshotsKept,
      long logSegmentBytes, int logPurgeGap, ProposalPolicy proposals, Duration leaderBalanceInterval,
      boolean leaderLeaseReads, Duration maxReplay, Duration firstElectionTimeout) {}

  /** This node: its peers entry, or (a node added to a running cluster) the address it joins with. */
  public Peer self() {
    return joinAs.orElseGet(() -> peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow());
  }

  public GroupHostConfig groupHostConfig() {
    return new GroupHostConfig(clusterId, nodeId,
        peers.stream().map(ShardkvConfig::address).toList(),
        shards, dataDir, store, raft.requestTimeout(), security.tls().map(Tls::files),
        raft.leaderBalanceInterval(), raft.leaderLeaseReads(), raft.firstElectionTimeout(), replicationFactor,
        joinAs.map(ShardkvConfig::address));
  }

  private static PeerAddress address(Peer p) {
    return new PeerAddress(p.id(), p.host(), p.raftPort(), p.clientPort());
  }

  public ProposalPolicy proposalPolicy() {
    return raft.proposals();
  }

  public ReplicationPolicy replicationPolicy() {
    return new ReplicationPolicy(raft.snapshotAutoTriggerEntries(), raft.snapshotsKept(),
        raft.logSegmentBytes(), raft.logPurgeGap(), raft.maxReplay());
  }
}
