package io.shardkv.raft.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.readiness.ShardReadiness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WedgedReplicaWatchTest {
  private static final ShardReadiness.Observation WEDGED =
      new ShardReadiness.Observation(true, null, true, 0, 3, 0);

  @Test
  void onlyAReplicaThatAppliedJustItsFirstEntryWhileTheLeaderCommittedMoreIsWedged() {
    assertThat(WedgedReplicaWatch.wedged(WEDGED)).isTrue();
    assertThat(WedgedReplicaWatch.wedged(new ShardReadiness.Observation(true, null, false, 0, 3, 0)))
        .as("no leader known: waiting for an election, not wedged").isFalse();
    assertThat(WedgedReplicaWatch.wedged(new ShardReadiness.Observation(true, null, true, 0, 0, 0)))
        .as("the group has committed nothing more").isFalse();
    assertThat(WedgedReplicaWatch.wedged(new ShardReadiness.Observation(true, null, true, -1, 3, -1)))
        .as("an empty new replica waiting for the log or a snapshot").isFalse();
    assertThat(WedgedReplicaWatch.wedged(new ShardReadiness.Observation(true, null, true, 0, 3, 2)))
        .as("entries after index 0 in its log but none applied: wedged if that lasts").isTrue();
    assertThat(WedgedReplicaWatch.wedged(new ShardReadiness.Observation(true, null, true, 5, 9, 7)))
        .as("catching up further along").isFalse();
    assertThat(WedgedReplicaWatch.wedged(new ShardReadiness.Observation(true, "apply failed", false, -1, -1, -1)))
        .as("a failed replica is the scrubber's and the operator's").isFalse();
    assertThat(WedgedReplicaWatch.wedged(ShardReadiness.Observation.notLoaded())).isFalse();
  }

  @Test
  void rebuildsAShardOnlyAfterTheSignatureHeldForTheWholeTimeoutAndCountsTheResult() {
    AtomicLong now = new AtomicLong(0);
    List<Optional<ShardReadiness.Observation>> seen = new ArrayList<>(Arrays.asList(
        Optional.of(WEDGED), Optional.of(WEDGED), Optional.empty()));
    List<Integer> rebuilt = new ArrayList<>();
    AtomicBoolean succeed = new AtomicBoolean(true);
    MetricRegistry metrics = new MetricRegistry();
    try (WedgedReplicaWatch watch = new WedgedReplicaWatch(3, seen::get, shard -> {
      rebuilt.add(shard);
      return succeed.get();
    }, Duration.ofSeconds(15), now::get, metrics)) {
      assertThat(watch.checkAll()).as("first sight starts the clock").isEmpty();
      now.set(Duration.ofSeconds(10).toNanos());
      // Shard 1 moves on (it applies what arrived): its clock stops.
      seen.set(1, Optional.of(new ShardReadiness.Observation(true, null, true, 1, 3, 3)));
      assertThat(watch.checkAll()).isEmpty();
      seen.set(1, Optional.of(WEDGED)); // and looks wedged again: its clock starts over
      assertThat(watch.checkAll()).isEmpty();
      // Entries arriving while nothing is applied yet also start the clock over.
      now.set(Duration.ofSeconds(12).toNanos());
      seen.set(1, Optional.of(new ShardReadiness.Observation(true, null, true, 0, 3, 2)));
      assertThat(watch.checkAll()).isEmpty();
      now.set(Duration.ofSeconds(15).toNanos());
      assertThat(watch.checkAll()).as("shard 0 held 15 s; shard 1 only 3 s").containsExactly(0);
      assertThat(rebuilt).containsExactly(0);
      assertThat(watch.checkAll()).as("a rebuilt shard's clock starts over").isEmpty();

      succeed.set(false);
      now.set(Duration.ofSeconds(27).toNanos());
      assertThat(watch.checkAll()).containsExactly(1);
      assertThat(metrics.counter(MetricNames.wedgedReplicaRebuilds("rebuilt")).getCount()).isEqualTo(1);
      assertThat(metrics.counter(MetricNames.wedgedReplicaRebuilds("failed")).getCount()).isEqualTo(1);

      // A shard that is no longer hosted here is forgotten.
      seen.set(0, Optional.empty());
      now.set(Duration.ofSeconds(60).toNanos());
      assertThat(watch.checkAll()).as("shard 1 is seen again after its rebuild only now").isEmpty();
      assertThat(rebuilt).containsExactly(0, 1);
    }
  }
}
