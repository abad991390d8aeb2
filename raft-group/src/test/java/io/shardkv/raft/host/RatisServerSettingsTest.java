package io.shardkv.raft.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.topology.PeerAddress;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.retry.RetryPolicy;
import org.junit.jupiter.api.Test;

class RatisServerSettingsTest {
  /** A restarted follower must not wait seconds for the leader's next retry (Ratis's default: 5 s). */
  @Test
  void leaderRetriesADownFollowerWithinAQuarterSecondEvenAfterManyErrors() {
    RetryPolicy policy = RetryPolicy.parse(RatisServerSettings.LEADER_RETRY_POLICY);
    for (int errors : new int[] {1, 10, 31, 1_000, 100_000}) {
      RetryPolicy.Action action = policy.handleAttemptFailure(() -> errors);
      assertThat(action.shouldRetry()).as("after %d errors", errors).isTrue();
      // The policy randomizes each wait around its base (up to 1.5x).
      assertThat(action.getSleepTime().toLong(TimeUnit.MILLISECONDS)).as("after %d errors", errors)
          .isLessThanOrEqualTo(375);
    }
  }

  /** A cluster restarted as a whole elects after the configured wait; pre-vote keeps that safe beside a live leader. */
  @Test
  void firstElectionWaitsTheConfiguredTimeUpToTwiceItWithPreVoteOn() {
    GroupHostConfig config = new GroupHostConfig("c", "n1", java.util.List.of(new PeerAddress("n1", "127.0.0.1", 1)), 1,
        java.nio.file.Path.of("/tmp/unused"), io.shardkv.store.LmdbStoreConfig.defaults(), java.time.Duration.ofSeconds(10),
        java.util.Optional.empty(), java.time.Duration.ZERO, false, java.time.Duration.ofMillis(150));
    org.apache.ratis.conf.RaftProperties p = RatisServerSettings.server(config, ReplicationPolicy.defaults());
    assertThat(org.apache.ratis.server.RaftServerConfigKeys.Rpc.firstElectionTimeoutMin(p).toLong(TimeUnit.MILLISECONDS))
        .isEqualTo(150);
    assertThat(org.apache.ratis.server.RaftServerConfigKeys.Rpc.firstElectionTimeoutMax(p).toLong(TimeUnit.MILLISECONDS))
        .isEqualTo(300);
    assertThat(org.apache.ratis.server.RaftServerConfigKeys.Rpc.timeoutMin(p).toLong(TimeUnit.MILLISECONDS))
        .isEqualTo(400);
    assertThat(org.apache.ratis.server.RaftServerConfigKeys.LeaderElection.preVote(p)).isTrue();
  }

  /** Ratis's composed appends can apply a deposed leader's uncommitted entry (see RatisServerSettings). */
  @Test
  void appendEntriesAreNotComposed() {
    GroupHostConfig config = new GroupHostConfig("c", "n1", java.util.List.of(new PeerAddress("n1", "127.0.0.1", 1)), 1,
        java.nio.file.Path.of("/tmp/unused"), io.shardkv.store.LmdbStoreConfig.defaults(), java.time.Duration.ofSeconds(10));
    assertThat(org.apache.ratis.server.RaftServerConfigKeys.Log.appendEntriesComposeEnabled(
        RatisServerSettings.server(config, ReplicationPolicy.defaults()))).isFalse();
  }
}
