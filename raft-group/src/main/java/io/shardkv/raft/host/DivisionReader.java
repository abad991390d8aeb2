package io.shardkv.raft.host;

import io.shardkv.raft.readiness.RaftLogFiles;
import io.shardkv.raft.readiness.ReplayBudget;
import io.shardkv.raft.readiness.ReplayBudgetSnapshots;
import io.shardkv.raft.readiness.ShardReadiness;
import io.shardkv.raft.replica.ShardStateMachine;
import io.shardkv.raft.topology.GroupIds;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.LifeCycle;

/**
 * Reads what the host's decisions need from this node's Raft divisions: a replica's progress
 * for {@link ShardReadiness}, its retained log for the {@link ReplayBudget}, and the peer to
 * hand its leadership to. Never waits for a group that is still loading (a metrics scrape or
 * a status call must not), and reads a group that is not there as absent.
 */
final class DivisionReader {
  private final Supplier<RaftServer> server;
  private final GroupIds groupIds;
  private final Map<Integer, ShardStateMachine> replicas;

  /** @param server the running server, or null before start and after close */
  DivisionReader(Supplier<RaftServer> server, GroupIds groupIds, Map<Integer, ShardStateMachine> replicas) {
    this.server = server;
    this.groupIds = groupIds;
    this.replicas = replicas;
  }

  /** {@code shard}'s replica as {@link ShardReadiness} needs it. */
  ShardReadiness.Observation observe(int shard) {
    ShardStateMachine replica = replicas.get(shard);
    Optional<Throwable> failure = replica == null ? Optional.empty() : replica.failure();
    if (failure.isPresent()) {
      // Ratis closes a group whose apply failed; its division no longer answers, and need not.
      return new ShardReadiness.Observation(true, failure.get().toString(), false, -1, -1, -1);
    }
    Optional<RaftServer.Division> loaded = division(shard, replica);
    if (loaded.isEmpty()) {
      return ShardReadiness.Observation.notLoaded();
    }
    try {
      return observe(replica, loaded.get());
    } catch (RuntimeException e) {
      return ShardReadiness.Observation.notLoaded(); // closing under us (a stop, a removal)
    }
  }

  private static ShardReadiness.Observation observe(ShardStateMachine replica, RaftServer.Division division) {
    var lastEntry = division.getRaftLog().getLastEntryTermIndex();
    // A follower's own commit index never passes the end of its log, so a replica that missed
    // entries would look caught up; the leader reports its commit index with every append, and
    // that is what the replica must reach. Until that report arrives the leader is not known.
    RaftPeerId leader = division.getInfo().getLeaderId();
    OptionalLong leaderCommit = leader == null ? OptionalLong.empty() : division.getCommitInfos().stream()
        .filter(c -> leader.toByteString().equals(c.getServer().getId()))
        .mapToLong(c -> c.getCommitIndex()).findFirst();
    long committed = Math.max(division.getRaftLog().getLastCommittedIndex(), leaderCommit.orElse(-1));
    return new ShardReadiness.Observation(true, replica.failure().map(Throwable::toString).orElse(null),
        leaderCommit.isPresent(), division.getInfo().getLastAppliedIndex(), committed,
        lastEntry == null ? -1 : lastEntry.getIndex());
  }

  /** {@code shard}'s retained Raft log on this node, if its group is loaded. */
  Optional<ReplayBudgetSnapshots.Tail> logTail(int shard) {
    ShardStateMachine replica = replicas.get(shard);
    Optional<RaftServer.Division> division = division(shard, replica);
    if (division.isEmpty()) {
      return Optional.empty();
    }
    try {
      Path dir = division.get().getRaftStorage().getStorageDir().getCurrentDir().toPath();
      long snapshotIndex = replica.latestArtifact().map(a -> a.index().index()).orElse(-1L);
      return Optional.of(new ReplayBudgetSnapshots.Tail(RaftLogFiles.bytesIn(dir), RaftLogFiles.closedBytesIn(dir),
          division.get().getInfo().getLastAppliedIndex(), snapshotIndex));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // unreadable, or closing under us
    }
  }

  /** If this node leads {@code shard}: the peer that has committed the most, to hand it to. */
  Optional<String> handOffTarget(int shard, String self) {
    try {
      return division(shard, replicas.get(shard)).filter(d -> d.getInfo().isLeader()).flatMap(d -> d.getCommitInfos().stream()
          .filter(c -> !c.getServer().getId().toStringUtf8().equals(self))
          .max(Comparator.comparingLong(c -> c.getCommitIndex()))
          .map(c -> c.getServer().getId().toStringUtf8()));
    } catch (RuntimeException e) {
      return Optional.empty(); // the group closed (an apply failure) or is closing
    }
  }

  /**
   * The caller reads {@code replica} once and passes it, so the replica it goes on to use is the
   * one checked here (an admin's RemoveReplica takes it out of the map meanwhile).
   */
  private Optional<RaftServer.Division> division(int shard, ShardStateMachine replica) {
    RaftServer s = server.get();
    // Before its state machine runs, asking Ratis for the division would wait for the group
    // to finish loading.
    if (s == null || replica == null || replica.getLifeCycleState() != LifeCycle.State.RUNNING) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable(s.getDivision(groupIds.of(shard)));
    } catch (IOException e) {
      return Optional.empty(); // not hosted here, or not loaded yet
    }
  }
}
