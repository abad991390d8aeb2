package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Collectors;

/**
 * {@link RegisterClient}s racing on a few keys through every node while a test injects faults,
 * and the check of what they saw, as in {@link LinearizabilityIT}: the history (with the test's
 * own {@link RecordedCalls}, which share the log) must be linearizable, the checker must reject
 * a copy with one read made stale, no call may fail other than by timeout or unavailability,
 * and stale reads must return only values someone wrote.
 */
final class RegisterWorkload {
  private static final Duration PHASE_TIMEOUT = Duration.ofSeconds(40);

  private final String name;
  private final HistoryLog log = new HistoryLog();
  private final AtomicLongArray completedVia;
  private final List<RegisterClient> clients = new ArrayList<>();

  /** One key per entry of {@code keys}; clients draw their choices from {@code random}. */
  RegisterWorkload(String name, ProcessCluster cluster, List<String> keys, int clientCount, Random random) {
    this.name = name;
    completedVia = new AtomicLongArray(cluster.size());
    for (int c = 0; c < clientCount; c++) {
      clients.add(new RegisterClient(c, cluster, keys, log, random.nextLong(), completedVia));
    }
  }

  /** Two keys in every shard, so every shard's leader and followers are exercised. */
  static List<String> keysInEveryShard(String prefix) {
    List<String> keys = new ArrayList<>();
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      keys.addAll(Keys.inShard(s, 2, prefix + s));
    }
    return keys;
  }

  HistoryLog log() {
    return log;
  }

  void start() {
    clients.forEach(Thread::start);
  }

  /** Waits for {@code more} further operations that completed successfully. */
  void awaitCompleted(int more, String phase) {
    long target = log.counted("ok") + more;
    long t0 = System.nanoTime();
    Await.until(PHASE_TIMEOUT, more + " more completed operations " + phase, () -> log.counted("ok") >= target);
    System.out.printf("%s: %d operations %s took %.1f s%n", name, more, phase, (System.nanoTime() - t0) / 1e9);
  }

  /** Stops every client and waits for it (each may be waiting on a call's deadline). */
  void stop() throws InterruptedException {
    clients.forEach(RegisterClient::requestStop);
    for (RegisterClient c : clients) {
      c.finish();
    }
  }

  /** The whole history's checks; call after {@link #stop}. */
  void assertLinearizable() {
    List<RegisterOp> history = log.ops();
    System.out.printf("%s: %d operations, %s%n", name, history.size(), log.counters());
    long t0 = System.nanoTime();
    LinearizabilityChecker.Result result = new LinearizabilityChecker(5_000_000).check(history);
    System.out.printf("%s: checked in %.2f s: %s%n", name, (System.nanoTime() - t0) / 1e9, result.verdict());
    assertThat(result.linearizable()).as(result.describe()).isTrue();

    // The same checker must reject this history once one read is made stale, so the pass above
    // is not an artifact of how it was recorded: take the busiest key's sub-history.
    Map<String, List<RegisterOp>> byKey = history.stream().collect(Collectors.groupingBy(RegisterOp::key));
    List<RegisterOp> busiest = byKey.values().stream().max(Comparator.comparingInt(List::size)).orElseThrow();
    assertThat(new LinearizabilityChecker(5_000_000).check(RandomHistory.withOneStaleRead(busiest)).verdict())
        .as("the checker on %s's history with one read made stale", busiest.get(0).key())
        .isEqualTo(LinearizabilityChecker.Verdict.NOT_LINEARIZABLE);

    assertThat(log.counters().keySet()).as("only timeouts and unavailability may fail calls")
        .noneMatch(k -> k.startsWith("unexpected"));
    for (HistoryLog.StaleRead r : log.staleReads()) {
      assertThat(r.value() == null || log.wasAttempted(r.key(), r.value()))
          .as("stale read of %s returned %s, which nobody wrote", r.key(), r.value()).isTrue();
    }
  }
}
