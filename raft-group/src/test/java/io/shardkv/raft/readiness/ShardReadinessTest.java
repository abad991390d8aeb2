package io.shardkv.raft.readiness;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.readiness.ShardReadiness.Observation;
import io.shardkv.raft.readiness.ShardReadiness.Phase;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The phases a replica goes through from process start to serving, and the serving decision. */
class ShardReadinessTest {
  private final AtomicLong now = new AtomicLong();
  private final ShardReadiness readiness = new ShardReadiness(2, now::get);

  private static Observation loaded(boolean leaderKnown, long applied, long committed, long lastLog) {
    return new Observation(true, null, leaderKnown, applied, committed, lastLog);
  }

  @Test
  void aRestartedReplicaOpensReplaysItsOwnLogCatchesUpThenServes() {
    assertThat(readiness.observe(0, Observation.notLoaded()).phase()).isEqualTo(Phase.OPENING);

    // Loaded with 1,000 entries in its log past the applied index; no leader has confirmed
    // the commit index yet.
    ShardReadiness.Status waiting = readiness.observe(0, loaded(false, 1000, 1000, 2000));
    assertThat(waiting.phase()).isEqualTo(Phase.REPLAYING);
    assertThat(waiting.entriesLeft()).isEqualTo(1000);
    assertThat(waiting.etaMillis()).isEmpty();
    assertThat(waiting.detail()).contains("waiting for a leader");

    // A leader is known, its commit index is past the local log: 400 applied in 100 ms.
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
    ShardReadiness.Status replaying = readiness.observe(0, loaded(true, 1400, 2500, 2000));
    assertThat(replaying.phase()).isEqualTo(Phase.REPLAYING);
    assertThat(replaying.entriesLeft()).isEqualTo(600);
    assertThat(replaying.entriesPerSecond()).isEqualTo(4000.0);
    assertThat(replaying.etaMillis()).hasValue(150);

    // Past its own log: now applying what the leader sends, up to the commit index it had
    // when the leader was first known (2500).
    ShardReadiness.Status catchingUp = readiness.observe(0, loaded(true, 2100, 2600, 2600));
    assertThat(catchingUp.phase()).isEqualTo(Phase.CATCHING_UP);
    assertThat(catchingUp.lagEntries()).isEqualTo(500);
    assertThat(readiness.serving(0)).isFalse();

    ShardReadiness.Status serving = readiness.observe(0, loaded(true, 2500, 2700, 2700));
    assertThat(serving.phase()).isEqualTo(Phase.SERVING);
    assertThat(readiness.serving(0)).isTrue();
    // Serving is for the life of the process, even if the replica falls behind again.
    assertThat(readiness.observe(0, loaded(true, 2500, 9000, 9000)).phase()).isEqualTo(Phase.SERVING);
    assertThat(readiness.serving(1)).isFalse();
  }

  @Test
  void anUncommittedLogTailDoesNotKeepAReplicaReplaying() {
    readiness.observe(0, loaded(false, 100, 100, 150));
    // The leader's commit index is 120: entries 121-150 were never committed and will be
    // replaced; the replica serves once it applied 120.
    assertThat(readiness.observe(0, loaded(true, 110, 120, 150)).phase()).isEqualTo(Phase.REPLAYING);
    assertThat(readiness.observe(0, loaded(true, 120, 120, 150)).phase()).isEqualTo(Phase.SERVING);
  }

  @Test
  void aReplicaWithoutALeaderNeverServesAndAFailedOneSaysWhy() {
    readiness.observe(0, loaded(false, 50, 50, 50));
    ShardReadiness.Status noLeader = readiness.observe(0, loaded(false, 50, 50, 50));
    assertThat(noLeader.phase()).isEqualTo(Phase.CATCHING_UP);
    assertThat(noLeader.lagEntries()).isEqualTo(-1);
    assertThat(noLeader.detail()).isEqualTo("no leader known yet");

    ShardReadiness.Status failed = readiness.observe(1,
        new Observation(true, "MDB_MAP_FULL", true, 10, 20, 20));
    assertThat(failed.phase()).isEqualTo(Phase.FAILED);
    assertThat(failed.detail()).contains("MDB_MAP_FULL");
    assertThat(readiness.serving(1)).isFalse();
  }
}
