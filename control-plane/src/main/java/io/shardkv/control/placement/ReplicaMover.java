package io.shardkv.control.placement;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.api.internal.v1.EndMove;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.MapMove;
import io.shardkv.api.internal.v1.MovePhase;
import io.shardkv.raft.metrics.MetricNames;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out replica moves for the {@link PlacementController}, one thread per move and at most
 * {@link PlacementPolicy#maxConcurrentMoves()} at once (DESIGN invariant 11). A move is recorded
 * in the cluster map before it starts and at each phase: ADDING adds the new replica (Ratis
 * catches it up before the configuration that counts it commits, so the shard never has fewer
 * up-to-date voters than before), REMOVING hands leadership away from the old replica and
 * removes it, and the move ends as finished or failed. A move a previous meta leader left
 * behind is finished if its new replica votes already, and otherwise rolled back.
 */
final class ReplicaMover implements AutoCloseable {
  /** The controller's lines keep its logger name, which operators grep for. */
  private static final Logger LOG = LoggerFactory.getLogger(PlacementController.class);
  private static final long RETRY_FAILED_MOVE_AFTER_MILLIS = 5_000;

  /** Commits a map command stamped with the controller's clock; logs a refusal at debug. */
  @FunctionalInterface
  interface MapWriter {
    MapCommandResult submit(MapCommand.Builder command, String what) throws IOException;
  }

  private final MapWriter map;
  private final PlacementController.Replicas replicas;
  private final MetricRegistry metrics;
  private final LongSupplier clock;
  private final Duration transferTimeout;
  /** Shards whose move runs here now. */
  private final Set<Integer> running = ConcurrentHashMap.newKeySet();
  /** Shards whose last move failed, until when they get no new one. */
  private final Map<Integer, Long> retryAfter = new ConcurrentHashMap<>();
  private final ExecutorService movers;

  /** @param transferTimeout how long handing leadership away from a removed replica may take */
  ReplicaMover(MapWriter map, PlacementController.Replicas replicas, int maxConcurrentMoves, MetricRegistry metrics,
      LongSupplier clock, Duration transferTimeout) {
    this.map = map;
    this.replicas = replicas;
    this.metrics = metrics;
    this.clock = clock;
    this.transferTimeout = transferTimeout;
    this.movers = Executors.newFixedThreadPool(maxConcurrentMoves, r -> {
      Thread t = new Thread(r, "shardkv-move");
      t.setDaemon(true);
      return t;
    });
  }

  /** The shards whose move runs here now. */
  Set<Integer> running() {
    return Set.copyOf(running);
  }

  /** Whether a move of {@code shard} runs here now. */
  boolean isRunning(int shard) {
    return running.contains(shard);
  }

  /** The shards whose move failed a moment ago: they get no new move yet. */
  Set<Integer> resting() {
    long now = clock.getAsLong();
    retryAfter.values().removeIf(until -> until <= now);
    return Set.copyOf(retryAfter.keySet());
  }

  /** A move this node did not start (a previous meta leader did): finish it if the new replica votes already, else roll it back. */
  void takeOver(MapMove m, List<String> shardMembers) throws IOException {
    boolean added = m.getToNode().isEmpty() || shardMembers.contains(m.getToNode());
    if (!added) {
      LOG.info("placement: shard {} move {} -> {} was cut short before {} became a voter: rolling it back",
          m.getShard(), m.getFromNode(), m.getToNode(), m.getToNode());
      end(m.getShard(), "rolled_back");
      metrics.counter(MetricNames.replicaMoves("rolled_back")).inc();
      return;
    }
    LOG.info("placement: shard {} move {} -> {} was cut short after {} became a voter: finishing it",
        m.getShard(), m.getFromNode(), m.getToNode(), m.getToNode());
    run(m.getShard(), m.getFromNode(), m.getToNode(), true);
  }

  void begin(PlacementPlanner.Move m) throws IOException {
    String from = m.from() == null ? "" : m.from();
    String to = m.to() == null ? "" : m.to();
    MapCommandResult r = map.submit(MapCommand.newBuilder().setBeginMove(MapMove.newBuilder().setShard(m.shard())
        .setFromNode(from).setToNode(to).setPhase(to.isEmpty() ? MovePhase.REMOVING : MovePhase.ADDING)
        .setReason(m.reason())), "begin the move of shard " + m.shard());
    if (!r.getRefusal().isEmpty()) {
      return;
    }
    metrics.counter(MetricNames.replicaMoves("started")).inc();
    LOG.info("placement: shard {} moving {} -> {} ({})", m.shard(), from.isEmpty() ? "-" : from,
        to.isEmpty() ? "-" : to, m.reason());
    run(m.shard(), from, to, to.isEmpty());
  }

  private void run(int shard, String from, String to, boolean added) {
    running.add(shard);
    movers.execute(() -> {
      long start = System.nanoTime();
      try {
        if (!added) {
          replicas.addReplica(shard, to);
          map.submit(MapCommand.newBuilder().setUpdateMove(MapMove.newBuilder().setShard(shard)
              .setPhase(MovePhase.REMOVING)), "advance the move of shard " + shard);
        }
        if (!from.isEmpty()) {
          remove(shard, from, to);
        }
        metrics.counter(MetricNames.replicaMoves("finished")).inc(); // done, whether or not the map says so yet
        end(shard, "finished");
        LOG.info("placement: shard {} move {} -> {} finished in {} ms", shard, from.isEmpty() ? "-" : from,
            to.isEmpty() ? "-" : to, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      } catch (IOException | RuntimeException e) {
        metrics.counter(MetricNames.replicaMoves("failed")).inc();
        retryAfter.put(shard, clock.getAsLong() + RETRY_FAILED_MOVE_AFTER_MILLIS);
        LOG.warn("placement: shard {} move {} -> {} failed (planned again in {} s at the earliest): {}", shard, from,
            to, RETRY_FAILED_MOVE_AFTER_MILLIS / 1000, e.toString());
        try {
          end(shard, "failed");
        } catch (IOException | RuntimeException again) {
          LOG.warn("placement: shard {} failed move not ended in the map (the next leader check ends it): {}",
              shard, again.toString());
        }
      } finally {
        running.remove(shard);
      }
    });
  }

  /** Removes {@code from}, its leadership handed to the new replica first; done once it is no voter. */
  private void remove(int shard, String from, String to) throws IOException {
    if (replicas.knownLeader(shard).filter(from::equals).isPresent()) {
      try {
        // To a replica that was there before the move: the new one has just caught up and may
        // still be behind, which fails the transfer, and removing a leader costs an election.
        List<String> others = new ArrayList<>(replicas.members(shard));
        others.remove(from);
        String target = others.stream().filter(n -> !n.equals(to)).findFirst().orElse(to);
        replicas.transferLeader(shard, target, transferTimeout);
      } catch (IOException | RuntimeException e) {
        LOG.info("placement: shard {} leadership not handed away from {} before removing it: {}", shard, from,
            e.toString());
      }
    }
    try {
      replicas.removeReplica(shard, from);
    } catch (IOException e) {
      // Removing a replica on a node that is down commits the configuration and then cannot
      // tell the node to drop its copy: that is done once the node answers again.
      if (replicas.members(shard).contains(from)) {
        throw e;
      }
    }
  }

  private void end(int shard, String outcome) throws IOException {
    map.submit(MapCommand.newBuilder().setEndMove(EndMove.newBuilder().setShard(shard).setOutcome(outcome)),
        "end the move of shard " + shard);
  }

  @Override
  public void close() {
    movers.shutdownNow();
  }
}
