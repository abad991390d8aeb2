package io.shardkv.control.placement;

import io.shardkv.raft.topology.ShardPlacement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads shard leadership over the nodes, so that no node carries every shard's appends and
 * read-index rounds. Each node runs one: when it leads at least two shards fewer than the
 * busiest node, it pulls the leadership of one of that node's shards to itself (a Ratis
 * leadership transfer, which waits for it to be up to date). A node only ever claims
 * leadership, never pushes it away, and stops once the spread is at most one, so balancers on
 * different nodes converge instead of fighting; that also lets an operator's single
 * {@code TransferLeader} in a balanced cluster stand.
 *
 * <p>Of the busiest node's shards it prefers the ones "owned" by this node (shard {@code s}
 * belongs to the peer at position {@code s mod n}), so the layout after a restart is the same
 * as before it.
 *
 * <p>Where nodes hold only some shards ({@link ShardPlacement}) no node sees every shard's
 * leader, so the counting above cannot work; there each node claims the shards whose preferred
 * leader it is, which the placement spreads within one of the mean. Only the preferred node
 * ever claims a shard, so claims never fight.
 */
public final class LeaderBalancer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderBalancer.class);

  private final String self;
  private final ShardPlacement placement;
  private final List<String> peers;
  private final int shardCount;
  private final IntFunction<Optional<String>> leaderOf;
  private final BooleanSupplier ready;
  private final IntPredicate claim;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "shardkv-leader-balancer");
    t.setDaemon(true);
    return t;
  });

  /**
   * @param leaderOf the current leader of a shard as this node sees it, empty if unknown or if
   *     this node holds no replica of it
   * @param ready whether this node may take leadership now (caught up after start)
   * @param claim transfers a shard's leadership to this node; true if it succeeded
   */
  public LeaderBalancer(String self, ShardPlacement placement, IntFunction<Optional<String>> leaderOf,
      BooleanSupplier ready, IntPredicate claim) {
    this.self = self;
    this.placement = placement;
    this.peers = placement.nodes();
    this.shardCount = placement.shardCount();
    this.leaderOf = leaderOf;
    this.ready = ready;
    this.claim = claim;
  }

  /** Checks every {@code interval} (with jitter, so nodes do not decide in lockstep). */
  public void start(Duration interval) {
    long ms = interval.toMillis();
    timer.scheduleWithFixedDelay(this::balanceOnce, ms + ThreadLocalRandom.current().nextLong(ms / 2 + 1),
        ms + ThreadLocalRandom.current().nextLong(ms / 4 + 1), TimeUnit.MILLISECONDS);
  }

  /** One round: claims at most one shard. */
  void balanceOnce() {
    try {
      if (!ready.getAsBoolean()) {
        return;
      }
      OptionalInt shard = shardToClaim();
      if (shard.isPresent()) {
        String from = leaderOf.apply(shard.getAsInt()).orElse("?");
        boolean moved = claim.test(shard.getAsInt());
        LOG.info("leader balancing: shard {} leadership {} from {} to {}", shard.getAsInt(),
            moved ? "moved" : "could not be moved (will retry)", from, self);
      }
    } catch (RuntimeException e) {
      LOG.warn("leader balancing round failed: {}", e.toString());
    }
  }

  /** The shard this node should claim now, if any. */
  OptionalInt shardToClaim() {
    if (!placement.everyNodeHoldsEveryShard()) {
      return preferredShardLedElsewhere();
    }
    Map<String, Integer> led = new HashMap<>();
    peers.forEach(p -> led.put(p, 0));
    String[] leaders = new String[shardCount];
    for (int s = 0; s < shardCount; s++) {
      Optional<String> leader = leaderOf.apply(s);
      if (leader.isEmpty() || !led.containsKey(leader.get())) {
        // An election is under way (or this node holds no replica of s): decide only on a
        // complete, settled picture.
        return OptionalInt.empty();
      }
      leaders[s] = leader.get();
      led.merge(leader.get(), 1, Integer::sum);
    }
    String busiest = self;
    for (String p : peers) {
      if (led.get(p) > led.get(busiest)) {
        busiest = p;
      }
    }
    if (led.get(busiest) - led.get(self) < 2) {
      return OptionalInt.empty();
    }
    int position = peers.indexOf(self);
    int pick = -1;
    for (int s = 0; s < shardCount; s++) {
      if (leaders[s].equals(busiest)) {
        if (s % peers.size() == position) {
          return OptionalInt.of(s); // one this node owns
        }
        pick = pick < 0 ? s : pick;
      }
    }
    return OptionalInt.of(pick);
  }

  /** A shard this node is the preferred leader of, hosts, and another replica leads. */
  private OptionalInt preferredShardLedElsewhere() {
    for (int s = 0; s < shardCount; s++) {
      if (placement.preferredLeader(s).equals(self)) {
        Optional<String> leader = leaderOf.apply(s);
        if (leader.isPresent() && !leader.get().equals(self)) {
          return OptionalInt.of(s);
        }
      }
    }
    return OptionalInt.empty();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
