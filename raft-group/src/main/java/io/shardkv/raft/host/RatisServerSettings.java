package io.shardkv.raft.host;

import io.shardkv.raft.ratis.ShardkvRpcType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * The Ratis server properties shardkv runs with, in one place (the client side's are in
 * {@link RatisClientSettings}). Values are chosen for small clusters
 * on few cores: elections slow enough not to fire on a GC pause, fast enough that a restarted
 * cluster serves again within a second or two.
 */
final class RatisServerSettings {
  /** Leader-to-follower append retry waits: 1 ms for 10 errors, 50 ms for 20, then 250 ms. */
  static final String LEADER_RETRY_POLICY = "1ms,10, 50ms,20, 250ms,100000000";

  private RatisServerSettings() {}

  static RaftProperties server(GroupHostConfig config, ReplicationPolicy policy) {
    RaftProperties p = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(p, List.of(config.raftDir().toFile()));
    // gRPC transport with the notify-install livelock fix (see ShardkvRpcType).
    RaftConfigKeys.Rpc.setType(p, new ShardkvRpcType());
    GrpcConfigKeys.Server.setHost(p, config.self().host());
    GrpcConfigKeys.Server.setPort(p, config.self().raftPort());
    // Reads through Ratis confirm leadership with a read-index round (DESIGN: linearizable).
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    // Off by default: a lease read is linearizable only while clocks drift less than the lease
    // margin (Ratis's lease is a fraction of the election timeout, measured on the leader).
    RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, config.leaderLeaseReads());
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(400, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(800, TimeUnit.MILLISECONDS));
    // A restarted group that finds no leader asks for votes after this wait (docs/benchmarks.md,
    // "Start-up timeline"); pre-vote (on by default) keeps a replica that restarts beside a live
    // leader from starting a real election and deposing it.
    long first = config.firstElectionTimeout().toMillis();
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, TimeDuration.valueOf(first, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, TimeDuration.valueOf(2 * first, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.LeaderElection.setPreVote(p, true);
    // Snapshots: Ratis asks for one every N applied entries; the state machine answers with its
    // newest completed artifact (copies run in the background, see ShardSnapshotter).
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, policy.snapshotAutoTriggerEntries());
    RaftServerConfigKeys.Snapshot.setCreationGap(p, 1);
    // A restart needs no snapshot (the store knows its applied index): don't copy on stop.
    RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, false);
    // Notify-install: a lagging follower fetches the leader's artifact through shardkv's own
    // transfer (SnapshotTransferService) because the state machine's "latest snapshot" is the
    // store's durable index, not a set of files Ratis could ship.
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, false);
    // Ratis's default leader retry policy ("1ms,10, 1s,20, 5s,1000") sleeps 5 s per retry once a
    // follower has failed 30 times in a row, which a node down for a restart always has (and its
    // first INCONSISTENCY replies count too): the restarted node then waited 10-15 s to catch up.
    // Retrying a down peer every 250 ms costs a connection attempt per group and peer; cheap.
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, LEADER_RETRY_POLICY);
    // Purge up to the snapshot even if a follower lags: it installs the artifact instead of
    // pinning the leader's log forever. The snapshot index is one the store durably reached.
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(policy.logSegmentBytes()));
    RaftServerConfigKeys.Log.setPurgeGap(p, policy.logPurgeGap());
    // Applied entries live in LMDB, so the log cache only needs what is in flight. Ratis's
    // default (200 MB per group) let a node with a 1 GiB heap run out of memory under bulk
    // loads of 1 MiB entries (bench/restart_bench.py): keep it to 32 MB and 2 segments a group.
    RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf("32MB"));
    RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
    // Metadata entries record the commit index in the log, one per commit-index advance: with
    // them on, every write cost a second entry, and each is applied (and, under invariant 2,
    // committed to the store) on its own. The commit index is relearned from the leader after a
    // restart anyway. Ozone's Ozone Manager turns them off too.
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
    // Off: with "compose" on (Ratis 3.x's default), a follower that receives the same
    // AppendEntries twice (a leader resending on a new stream after a partition heals) can
    // answer the second copy before the first has truncated the old term's conflicting tail; it
    // then advances its commit index over that tail and applies an entry the group never
    // committed (PartitionIT saw an isolated leader's refused put applied on its own replica
    // only). Without it every append is written in arrival order, as in Ratis 2.
    RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(p, false);
    return p;
  }
}
