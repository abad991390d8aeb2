package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.shardkv.it.RecordedCalls.Result;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * A node stopped with SIGSTOP (a long GC pause, a stalled VM) keeps its sockets and its belief
 * that it leads, and runs on from there after SIGCONT. While {@link RegisterClient}s race on
 * keys of every shard through every node (the whole history must be linearizable):
 *
 * <ol>
 *   <li>the leader of a shard is stopped until the others have elected a new leader and
 *       acknowledged a new value of a key; linearizable reads of that key sent to the stopped
 *       node wait in its socket and are the first thing it serves when it runs again, before it
 *       can have heard that it was deposed: every one that answers must return the new value;
 *   <li>a node that leads no shard is stopped: puts to every shard keep being acknowledged at
 *       once, no term changes (pre-vote: the node's election timer fires as soon as it runs
 *       again, and must not depose anyone), and the node catches up.
 * </ol>
 *
 * Leader balancing is off so that every leader change in the test is one the test caused.
 */
class PauseIT extends ClusterTest {
  private static final String CONFIG = "raft { request-timeout = 3s, leader-balance-interval = 0s }";
  private static final Duration STEP = Duration.ofSeconds(30);
  private static final Duration CALL = Duration.ofSeconds(5);
  private static final int PROBE_CLIENT = 100;

  private RecordedCalls calls;

  @Test
  void aResumedLeaderServesNoStaleReadAndAPausedFollowerCatchesUp() throws Exception {
    long seed = Long.getLong("shardkv.seed", ThreadLocalRandom.current().nextLong());
    System.out.println("PauseIT seed = " + seed);
    cluster = new ProcessCluster(dir, CONFIG);
    cluster.startAll();
    RegisterWorkload workload = new RegisterWorkload("PauseIT", cluster,
        RegisterWorkload.keysInEveryShard("pause"), 4, new Random(seed));
    calls = new RecordedCalls(cluster, workload.log(), PROBE_CLIENT);
    workload.start();
    String staleCandidate;
    try {
      workload.awaitCompleted(60, "before any pause");
      staleCandidate = pauseALeader(workload);
      workload.awaitCompleted(30, "after the leader resumed");
      pauseANodeThatLeadsNothing();
      workload.awaitCompleted(30, "after the follower resumed");
    } finally {
      workload.stop();
    }
    workload.assertLinearizable();
    // Replicas that applied the same log hold the same data (invariant 10).
    ReplicaDigests.assertEveryShardMatches(cluster, 1);
    // The checker must see the very read this test is about: the paused leader's key, with one
    // read after the new value made to return the old one, is not linearizable.
    List<RegisterOp> keyOps = workload.log().ops().stream().filter(op -> op.key().equals(staleCandidate)).toList();
    assertThat(new LinearizabilityChecker(5_000_000).check(RandomHistory.withOneStaleRead(keyOps)).verdict())
        .isEqualTo(LinearizabilityChecker.Verdict.NOT_LINEARIZABLE);
  }

  /** Returns the key whose old value the resumed leader must not serve. */
  private String pauseALeader(RegisterWorkload workload) throws Exception {
    int shard = 0;
    Leaders.Leader before = Leaders.awaitAgreed(cluster, shard);
    int paused = before.node();
    int peer = (paused + 1) % cluster.size();
    String key = Keys.inShard(shard, 1, "paused-leader").get(0);
    String old = calls.putUntilAcknowledged(paused, key, "before-n" + (paused + 1) + "-stopped", STEP);

    cluster.pause(paused);
    long stoppedAt = System.nanoTime();
    Leaders.Leader elected = Leaders.await(cluster, peer, shard,
        l -> l.node() != paused && l.term() > before.term(), "a leader other than the stopped n" + (paused + 1));
    String fresh = calls.putUntilAcknowledged(peer, key, "while-n" + (paused + 1) + "-stopped", STEP);
    // The others move on while it is stopped (a pause of a few seconds, well past the 400-800 ms
    // election timeout), so that it resumes far behind, not just one entry.
    workload.awaitCompleted(30, "while n" + (paused + 1) + " is stopped");
    // Sent now, answered only once the node runs again: first in its socket, before any
    // heartbeat of the new leader that it has not read yet.
    List<RecordedCalls.Pending<Optional<String>>> reads = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      reads.add(calls.readAsync(paused, key, Duration.ofSeconds(15)));
    }
    Await.until(STEP, "reads handed to the stopped node's connection", () -> reads.stream().allMatch(r -> r.sent()));
    System.out.printf("PauseIT: n%d led shard %d in term %d; stopped %.1f s while n%d took over in term %d%n",
        paused + 1, shard, before.term(), (System.nanoTime() - stoppedAt) / 1e9, elected.node() + 1, elected.term());
    cluster.resume(paused);
    for (int i = 0; i < 3; i++) {
      reads.add(calls.readAsync(paused, key, Duration.ofSeconds(15)));
    }

    int answered = 0;
    for (RecordedCalls.Pending<Optional<String>> read : reads) {
      Result<Optional<String>> r = read.result().get();
      if (r.ok()) {
        answered++;
        assertThat(r.value()).as("a linearizable read through the resumed n%d (old value %s)", paused + 1, old)
            .contains(fresh);
      }
    }
    System.out.printf("PauseIT: %d of %d reads through the resumed n%d answered%n", answered, reads.size(), paused + 1);
    assertThat(calls.readUntilAnswered(paused, key, STEP)).contains(fresh);
    Await.until(STEP, "n" + (paused + 1) + "'s replica catching up",
        () -> calls.staleRead(paused, key).equals(Optional.of(fresh)));
    return key;
  }

  private void pauseANodeThatLeadsNothing() throws Exception {
    int[] led = Leaders.ledCounts(cluster);
    int fewest = 0;
    for (int i = 1; i < led.length; i++) {
      fewest = led[i] < led[fewest] ? i : fewest;
    }
    int paused = fewest; // after the first phase, the deposed leader leads nothing
    Map<Integer, Leaders.Leader> followed = new LinkedHashMap<>();
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      Leaders.Leader l = Leaders.awaitAgreed(cluster, s);
      if (l.node() != paused) {
        followed.put(s, l);
      }
    }
    System.out.printf("PauseIT: stopping n%d, which follows in shards %s%n", paused + 1, followed.keySet());
    cluster.pause(paused);

    Map<String, String> written = new LinkedHashMap<>();
    List<Integer> running = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      if (i != paused) {
        running.add(i);
      }
    }
    for (int s : followed.keySet()) {
      for (int m : running) {
        String key = Keys.inShard(s, 1, "follower-stopped-via-n" + (m + 1)).get(0);
        String value = "while-n" + (paused + 1) + "-was-stopped";
        assertThat(calls.put(m, key, value, CALL).code()).as("put of %s through n%d", key, m + 1)
            .isEqualTo(Status.Code.OK);
        written.put(key, value);
      }
    }
    assertTermsUnchanged(followed, running.get(0), "while n" + (paused + 1) + " was stopped");

    cluster.resume(paused);
    Await.until(STEP, "n" + (paused + 1) + " catching up", () -> written.entrySet().stream()
        .allMatch(e -> calls.staleRead(paused, e.getKey()).equals(Optional.of(e.getValue()))));
    for (var e : written.entrySet()) {
      assertThat(calls.readUntilAnswered(paused, e.getKey(), STEP)).contains(e.getValue());
    }
    for (int node = 0; node < cluster.size(); node++) {
      assertTermsUnchanged(followed, node, "after n" + (paused + 1) + " resumed");
    }
  }

  private void assertTermsUnchanged(Map<Integer, Leaders.Leader> before, int asked, String when) {
    for (var e : before.entrySet()) {
      assertThat(Leaders.asSeenBy(cluster, asked, e.getKey())).as("shard %d's leader and term as n%d sees them %s",
          e.getKey(), asked + 1, when).contains(e.getValue());
    }
  }
}
