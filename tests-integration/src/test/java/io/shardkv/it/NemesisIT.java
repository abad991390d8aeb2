package io.shardkv.it;

import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * A randomized "nemesis": while {@link RegisterClient}s race on keys of every shard through every
 * node, one fault at a time is drawn at random and held for 1-3 s: kill -9 of a node (then
 * restarted), a node isolated from both peers, a node stopped with SIGSTOP, or a link flapping
 * every 300 ms. After each fault heals, the cluster must make progress again before the next one.
 * At the end the whole history must be linearizable (and the checker must reject a copy with a
 * stale read), only timeouts and unavailability may have failed calls, and every shard's replica
 * digests must match.
 *
 * <p>CI runs it for {@value #DEFAULT_SECONDS} s. {@code -Dshardkv.nemesis.seconds=N} runs it
 * longer ({@code bench/nemesis.sh}); {@code -Dshardkv.seed=S} replays a run's choice of faults
 * (the nodes' timing is not replayable).
 */
class NemesisIT extends ClusterTest {
  static final long DEFAULT_SECONDS = 30;
  /** Short request timeout: a call to a faulty node gives up (unknown outcome) and the client moves on. */
  private static final String CONFIG = "raft { request-timeout = 3s }";

  @Test
  void randomKillsPartitionsPausesAndFlappingLinksLoseNothingAndStayLinearizable() throws Exception {
    long seed = Long.getLong("shardkv.seed", ThreadLocalRandom.current().nextLong());
    long seconds = Long.getLong("shardkv.nemesis.seconds", DEFAULT_SECONDS);
    System.out.printf("NemesisIT seed = %d (replay with -Dshardkv.seed=%d), %d s of faults%n", seed, seed, seconds);
    Random random = new Random(seed);
    cluster = ProcessCluster.behindProxies(dir, CONFIG);
    cluster.startAll();
    RegisterWorkload workload = new RegisterWorkload("NemesisIT", cluster,
        RegisterWorkload.keysInEveryShard("nemesis"), 4, new Random(random.nextLong()));
    Map<String, Integer> faults = new TreeMap<>();
    long start = System.nanoTime();
    workload.start();
    try {
      workload.awaitCompleted(40, "before any fault");
      long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      while (System.nanoTime() < end) {
        int victim = random.nextInt(cluster.size());
        // How long the fault lasts is the point of the test, not a wait for a condition.
        long holdMillis = 1_000 + random.nextInt(2_000);
        String fault = switch (random.nextInt(4)) {
          case 0 -> {
            cluster.kill9(victim);
            Thread.sleep(holdMillis);
            cluster.start(victim);
            cluster.awaitServing(victim);
            yield "kill -9";
          }
          case 1 -> {
            cluster.faults().isolate(victim);
            Thread.sleep(holdMillis);
            cluster.faults().heal();
            yield "partition";
          }
          case 2 -> {
            cluster.pause(victim);
            Thread.sleep(holdMillis);
            cluster.resume(victim);
            yield "pause";
          }
          default -> {
            int other = (victim + 1 + random.nextInt(cluster.size() - 1)) % cluster.size();
            try (NetworkFaults.Flapping ignored = cluster.faults().flap(victim, other, Duration.ofMillis(300))) {
              Thread.sleep(holdMillis);
            }
            yield "flapping link";
          }
        };
        faults.merge(fault, 1, Integer::sum);
        System.out.printf("NemesisIT: %s of n%d for %d ms%n", fault, victim + 1, holdMillis);
        workload.awaitCompleted(20, "after " + fault + " of n" + (victim + 1));
      }
      for (int i = 0; i < cluster.size(); i++) {
        cluster.awaitServing(i);
      }
      workload.awaitCompleted(40, "after the last fault");
    } finally {
      workload.stop();
    }
    workload.assertLinearizable();
    ReplicaDigests.assertEveryShardMatches(cluster, 0);
    System.out.printf("NemesisIT report: %d operations (%s) in %.0f s, faults %s, linearizability violations 0, "
        + "replica digests match%n", workload.log().ops().size(), workload.log().counters(),
        (System.nanoTime() - start) / 1e9, faults);
  }
}
