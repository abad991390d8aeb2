package org.apache.ratis.server.impl;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.ratis.server.protocol.TermIndex;
import org.junit.jupiter.api.Test;

/**
 * Pins the Ratis behaviour that {@code io.shardkv.raft.health.WedgedReplicaWatch} works around (this
 * test sits in Ratis's package only to reach the package-private rule). A follower takes the
 * commit index of an append as at most the previous entry's index plus the entries appended;
 * with no previous entry (the leader retrying from index 0) Ratis counts the previous index as
 * 0, not -1, so an empty heartbeat commits the follower's own index 0, whatever its term. If an
 * upgrade of Ratis makes this fail, the wedge can no longer arise that way: check whether the
 * watch is still needed.
 */
class RatisFirstEntryCommitTest {
  @Test
  void aHeartbeatWithNoPreviousEntryCommitsTheFollowersIndexZero() {
    assertThat(ServerImplUtils.effectiveCommitIndex(5, null, 0)).isZero();
    // With a previous entry the rule is right: nothing past it is committed by a heartbeat.
    assertThat(ServerImplUtils.effectiveCommitIndex(5, TermIndex.valueOf(2, 3), 0)).isEqualTo(3);
  }
}
