package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.TransferLeaderRequest;
import io.shardkv.it.LinkProxy.Direction;
import io.shardkv.it.RecordedCalls.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Network partitions between the nodes of a 3-process cluster whose node-to-node traffic all
 * passes through {@link NetworkFaults}, while {@link RegisterClient}s race on keys of every
 * shard through every node; the whole recorded history must be linearizable. One cluster, three
 * phases:
 *
 * <ol>
 *   <li>a shard's leader is isolated from both peers: puts through it are never acknowledged,
 *       and its reads are not served, while the other two elect a leader and acknowledge
 *       puts; after the heal every acknowledged put reads back through every node, and the
 *       puts the isolated node failed (after its own request timeout, so it will not send them
 *       again) never appear;
 *   <li>a node that leads no shard is isolated: puts to every shard keep being acknowledged at
 *       once, no term changes (pre-vote keeps the returning node from deposing anyone), and
 *       after the heal the node catches up;
 *   <li>the link between two nodes flaps: no acknowledged put is lost.
 * </ol>
 *
 * Leader balancing is off so that every leader change in the test is one the test caused; the
 * request timeout is 3 s so a node gives a put up well before the test heals the partition.
 */
class PartitionIT extends ClusterTest {
  private static final String CONFIG = "raft { request-timeout = 3s, leader-balance-interval = 0s }";
  private static final String TOKEN = "it-admin-token-0123456789abcdef";
  private static final Duration STEP = Duration.ofSeconds(30);
  private static final Duration CALL = Duration.ofSeconds(5);
  private static final int PROBE_CLIENT = 100; // client number of the test's own calls in the history

  private NetworkFaults faults;
  private RecordedCalls calls;
  /** Puts acknowledged by the test's own calls: key -> value. */
  private final Map<String, String> acknowledged = new ConcurrentHashMap<>();

  @Test
  void aMinorityNeverAcknowledgesAndNoAcknowledgedWriteIsLost() throws Exception {
    long seed = Long.getLong("shardkv.seed", ThreadLocalRandom.current().nextLong());
    System.out.println("PartitionIT seed = " + seed);
    Path token = Files.writeString(dir.resolve("admin-token"), TOKEN + "\n");
    cluster = ProcessCluster.behindProxies(dir, CONFIG + "\nsecurity.admin-token-file = \"" + token + "\"");
    cluster.startAll();
    faults = cluster.faults();
    RegisterWorkload workload = new RegisterWorkload("PartitionIT", cluster,
        RegisterWorkload.keysInEveryShard("part"), 4, new Random(seed));
    calls = new RecordedCalls(cluster, workload.log(), PROBE_CLIENT);
    workload.start();
    try {
      workload.awaitCompleted(60, "before any fault");
      assertEveryLinkCarriesTraffic();

      isolateALeader();
      workload.awaitCompleted(30, "after the leader's partition healed");

      isolateANodeThatLeadsNothing();
      workload.awaitCompleted(30, "after the follower's partition healed");

      flapALink();
      workload.awaitCompleted(30, "after the flapping stopped");
    } finally {
      System.out.print(faults.describe());
      workload.stop();
    }
    for (var e : acknowledged.entrySet()) {
      for (int node = 0; node < cluster.size(); node++) {
        assertThat(calls.readUntilAnswered(node, e.getKey(), STEP)).as("%s through n%d", e.getKey(), node + 1)
            .contains(e.getValue());
      }
    }
    workload.assertLinearizable();
    // Replicas that applied the same log hold the same data (invariant 10).
    ReplicaDigests.assertEveryShardMatches(cluster, 0);
  }

  /**
   * Nodes talk through the proxies, not past them, or cutting a link would prove nothing. A
   * node dials a peer only to lead or campaign, so each node is first made to lead a shard: with
   * balancing off, the first node up can win every election and a follower-only node never dials
   * the other follower (CI once saw node3->node2 with no connection at all).
   */
  private void assertEveryLinkCarriesTraffic() {
    int[] led = Leaders.ledCounts(cluster);
    for (int node = 0; node < cluster.size(); node++) {
      if (led[node] == 0) {
        int from = IntStream.range(0, led.length).reduce((x, y) -> led[x] >= led[y] ? x : y).orElseThrow();
        int shard = IntStream.range(0, ProcessCluster.SHARDS)
            .filter(s -> Leaders.awaitAgreed(cluster, s).node() == from).findFirst().orElseThrow();
        transferLeader(shard, node);
        led[from]--;
        led[node]++;
      }
    }
    for (int a = 0; a < cluster.size(); a++) {
      for (int b = 0; b < cluster.size(); b++) {
        if (a != b) {
          LinkProxy link = faults.link(a, b);
          Await.until(STEP, "traffic both ways on " + link.name(), () -> link.forwardedBytes(Direction.FORWARD) > 0
              && link.forwardedBytes(Direction.BACKWARD) > 0);
        }
      }
    }
  }

  /** Moves {@code shard}'s leadership to {@code node} (a change the test causes, before any fault). */
  private void transferLeader(int shard, int node) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
    AdminGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .transferLeader(TransferLeaderRequest.newBuilder().setShard(shard).setToNode("n" + (node + 1)).build());
    Leaders.await(cluster, node, shard, l -> l.node() == node, "itself as leader");
    System.out.printf("PartitionIT: n%d now leads shard %d, so it dials both peers%n", node + 1, shard);
  }

  private void isolateALeader() throws Exception {
    int shard = 0;
    Leaders.Leader before = Leaders.awaitAgreed(cluster, shard);
    int isolated = before.node();
    int[] majority = others(isolated);
    System.out.printf("PartitionIT: isolating n%d, leader of shard %d in term %d%n", isolated + 1, shard, before.term());
    faults.isolate(isolated);

    // One put per shard through the isolated node, all at once: it leads shard 0 and follows in
    // the others, and no path may get a put acknowledged without a majority.
    List<String> minorityKeys = new ArrayList<>();
    List<Future<Result<Void>>> minorityPuts = new ArrayList<>();
    ExecutorService minorityCallers = Executors.newFixedThreadPool(ProcessCluster.SHARDS);
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      String key = Keys.inShard(s, 1, "minority").get(0);
      minorityKeys.add(key);
      // Longer than the node's own request timeout: the node, not the deadline, ends the call.
      minorityPuts.add(minorityCallers.submit(() -> calls.put(isolated, key, "minority-" + key, Duration.ofSeconds(10))));
    }
    minorityCallers.shutdown();

    Leaders.Leader elected = Leaders.await(cluster, majority[0], shard,
        l -> l.node() != isolated && l.term() > before.term(), "a leader on the majority side");
    System.out.printf("PartitionIT: n%d leads shard %d in term %d%n", elected.node() + 1, shard, elected.term());
    String majorityKey = Keys.inShard(shard, 1, "majority").get(0);
    for (int m : majority) {
      acknowledged.put(majorityKey, calls.putUntilAcknowledged(m, majorityKey, "majority-via-n" + (m + 1), STEP));
    }
    Result<Optional<String>> isolatedRead = calls.read(isolated, majorityKey, CALL);
    assertThat(isolatedRead.ok()).as("a linearizable read through the isolated n%d answered %s", isolated + 1,
        isolatedRead.value()).isFalse();

    Map<String, String> neverApplied = new LinkedHashMap<>();
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      Result<Void> r = minorityPuts.get(s).get();
      String key = minorityKeys.get(s);
      assertThat(r.ok()).as("put of %s (shard %d) through the isolated n%d acknowledged", key, s, isolated + 1)
          .isFalse();
      assertThat(r.code()).as("how the isolated node refused %s", key).isEqualTo(Status.Code.UNAVAILABLE);
      neverApplied.put(key, "minority-" + key);
    }
    assertThat(faults.link(isolated, majority[0]).droppedBytes(Direction.FORWARD)).as("bytes the cut dropped")
        .isPositive();
    // Not even the isolated node's own replica may apply what it could not commit: a stale read
    // may lag, but never shows an entry no majority holds.
    for (String key : neverApplied.keySet()) {
      assertThat(calls.staleRead(isolated, key)).as("%s in the isolated n%d's own replica", key, isolated + 1)
          .isEmpty();
    }

    faults.heal();
    Await.until(STEP, "n" + (isolated + 1) + " catching up", () -> calls.staleRead(isolated, majorityKey)
        .equals(Optional.of(acknowledged.get(majorityKey))));
    for (int node = 0; node < cluster.size(); node++) {
      assertThat(calls.readUntilAnswered(node, majorityKey, STEP)).as("%s through n%d", majorityKey, node + 1)
          .contains(acknowledged.get(majorityKey));
      // The node gave these up before the heal (UNAVAILABLE after its request timeout), and a
      // deposed leader's unreplicated entries are overwritten: none may ever appear.
      for (String key : neverApplied.keySet()) {
        assertThat(calls.readUntilAnswered(node, key, STEP)).as("%s, refused by the minority, through n%d", key,
            node + 1).isEmpty();
      }
    }
  }

  private void isolateANodeThatLeadsNothing() throws Exception {
    int[] led = Leaders.ledCounts(cluster);
    int fewest = 0;
    for (int i = 1; i < led.length; i++) {
      fewest = led[i] < led[fewest] ? i : fewest;
    }
    int isolated = fewest; // after the first phase, the node deposed there leads nothing
    Map<Integer, Leaders.Leader> followed = new LinkedHashMap<>();
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      Leaders.Leader l = Leaders.awaitAgreed(cluster, s);
      if (l.node() != isolated) {
        followed.put(s, l);
      }
    }
    System.out.printf("PartitionIT: isolating n%d, which follows in shards %s%n", isolated + 1, followed.keySet());
    faults.isolate(isolated);

    // The leaders of these shards keep a majority: every put is acknowledged on its first try.
    Map<String, String> written = new LinkedHashMap<>();
    int[] majority = others(isolated);
    for (int s : followed.keySet()) {
      for (int m : majority) {
        String key = Keys.inShard(s, 1, "follower-out-via-n" + (m + 1)).get(0);
        String value = "while-n" + (isolated + 1) + "-was-out";
        assertThat(calls.put(m, key, value, CALL).code()).as("put of %s through n%d", key, m + 1)
            .isEqualTo(Status.Code.OK);
        written.put(key, value);
      }
    }
    acknowledged.putAll(written);
    assertTermsUnchanged(followed, majority[0], "while n" + (isolated + 1) + " was isolated");

    faults.heal();
    Await.until(STEP, "n" + (isolated + 1) + " catching up", () -> written.entrySet().stream()
        .allMatch(e -> calls.staleRead(isolated, e.getKey()).equals(Optional.of(e.getValue()))));
    for (var e : written.entrySet()) {
      assertThat(calls.readUntilAnswered(isolated, e.getKey(), STEP)).contains(e.getValue());
    }
    for (int node = 0; node < cluster.size(); node++) {
      assertTermsUnchanged(followed, node, "after n" + (isolated + 1) + " came back");
    }
  }

  private void assertTermsUnchanged(Map<Integer, Leaders.Leader> before, int asked, String when) {
    for (var e : before.entrySet()) {
      assertThat(Leaders.asSeenBy(cluster, asked, e.getKey())).as("shard %d's leader and term as n%d sees them %s",
          e.getKey(), asked + 1, when).contains(e.getValue());
    }
  }

  private void flapALink() throws Exception {
    int a = Leaders.awaitAgreed(cluster, 1).node();
    int b = (a + 1) % cluster.size();
    AtomicBoolean stop = new AtomicBoolean();
    Map<String, String> written = new ConcurrentHashMap<>();
    List<Thread> writers = new ArrayList<>();
    for (int node = 0; node < cluster.size(); node++) {
      int via = node;
      RecordedCalls writer = new RecordedCalls(cluster, calls.log(), PROBE_CLIENT + 1 + node);
      Thread t = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          String key = "flap-n" + (via + 1) + "-" + i;
          String value = "v" + i;
          if (writer.put(via, key, value, CALL).ok()) {
            written.put(key, value);
          }
        }
      }, "flap-writer-n" + (via + 1));
      t.setDaemon(true);
      t.start();
      writers.add(t);
    }
    System.out.printf("PartitionIT: flapping the link n%d-n%d%n", a + 1, b + 1);
    try (NetworkFaults.Flapping flapping = faults.flap(a, b, Duration.ofMillis(300))) {
      int before = written.size();
      Await.until(STEP, "12 toggles and 30 acknowledged puts", () -> flapping.toggles() >= 12
          && written.size() >= before + 30);
    } finally {
      stop.set(true);
      for (Thread t : writers) {
        t.join(CALL.toMillis() * 2);
        assertThat(t.isAlive()).as(t.getName() + " stopped").isFalse();
      }
    }
    System.out.printf("PartitionIT: %d puts acknowledged across the flapping%n", written.size());
    acknowledged.putAll(written);
  }

  private int[] others(int node) {
    return IntStream.range(0, cluster.size()).filter(i -> i != node).toArray();
  }
}
