package io.shardkv.raft.ratis;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;

/**
 * Ratis's gRPC transport, with one fix to its notify-install handshake (Ratis 3.x).
 *
 * <p>The livelock: a follower's durable index is F and the leader's log starts at F+1, but the
 * leader cannot name entry F (it was purged and is not the leader's snapshot index). The leader
 * then notifies the follower to install a snapshot; the follower answers ALREADY_INSTALLED at F
 * (F+1 >= the leader's first index), and the leader notifies again, forever. A replica that
 * crashed while it led a group hits this regularly: its last index is the end of its term, which
 * is where the new leader's log segments roll. Once the follower has reported F, entries from
 * F+1 can be sent without a previous entry (Ratis's own request builder allows exactly that), so
 * the appender stops asking for an install in that state.
 *
 * <p>Selected by class name through {@code raft.rpc.type} (see RatisServerSettings).
 */
public final class ShardkvRpcType implements RpcType {

  @Override
  public String name() {
    return ShardkvRpcType.class.getName();
  }

  @Override
  public RpcFactory newFactory(Parameters parameters) {
    return new GrpcFactory(parameters) {
      @Override
      public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo f) {
        return new InstalledAwareLogAppender(server, state, f);
      }
    };
  }

  /** Does not re-notify a follower that already reported holding everything before our log. */
  static final class InstalledAwareLogAppender extends GrpcLogAppender {
    InstalledAwareLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo f) {
      super(server, state, f);
    }

    @Override
    public boolean shouldInstallSnapshot(boolean hasSnapshot) {
      FollowerInfo follower = getFollower();
      long next = follower.getNextIndex();
      long reported = follower.getSnapshotIndex();
      if (reported >= 0 && next == reported + 1 && next == getRaftLog().getStartIndex()) {
        return false;
      }
      return super.shouldInstallSnapshot(hasSnapshot);
    }
  }
}
