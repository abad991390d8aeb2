package io.shardkv.control.placement;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.CreateMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.MapMove;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.api.internal.v1.NodeState;
import io.shardkv.api.internal.v1.SetNodeState;
import io.shardkv.control.map.MapAccess;
import io.shardkv.control.membership.NodeDrainer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the cluster as the map wants it, from the meta group's leader (every node runs one; only
 * the node leading the meta group acts). Each check: creates the map if there is none, marks
 * nodes that answer ACTIVE and nodes unreachable past the down timeout DOWN, takes over moves a
 * previous leader left unfinished, and starts the moves {@link PlacementPlanner} asks for (at most
 * {@link PlacementPolicy#maxConcurrentMoves()} at once) or, with nothing to move, one leadership
 * transfer.
 *
 * <p>How a move is carried out, phase by phase and recorded in the map (invariant 11), is
 * {@link ReplicaMover}'s job; a leader that finds a move it did not start has the mover finish
 * it if the new replica is a voter already, and otherwise roll it back (the next check plans
 * again).
 */
public final class PlacementController implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PlacementController.class);

  /** The shard operations it needs (ShardAdministration's). */
  public interface Replicas extends NodeDrainer.Membership {
    /** Moves the shard's leadership to {@code toNode}, giving up after {@code timeout}. */
    String transferLeader(int shard, String toNode, java.time.Duration timeout) throws IOException;

    /** Drops {@code node}'s copy of {@code shard}'s group, which is no longer a member (best effort). */
    void dropStaleReplica(int shard, String node);

    /** The shards whose group {@code node} has a copy of (one question to it; empty if it does not answer). */
    Set<Integer> shardsHeldBy(String node);
  }

  private final MapAccess map;
  private final Replicas replicas;
  private final BooleanSupplier leadsMetaGroup;
  private final BooleanSupplier balanceLeaders;
  private final List<MapNode> seeds;
  private final int shardCount;
  private final PlacementPolicy policy;
  private final PlacementPlanner planner;
  private final LongSupplier clock;
  /** When each unreachable node was first seen so, on this leader (reset when leadership moves). */
  private final Map<String, Long> unreachableSince = new HashMap<>();
  private final ReplicaMover mover;
  private ScheduledExecutorService ticker;
  private boolean leading;
  private long lastSweepMillis;
  /** How often stale copies are looked for even when no node was seen coming back. */
  private static final long STALE_SWEEP_INTERVAL_MILLIS = 15_000;
  /**
   * A leadership transfer gives up after this: the leader refuses writes while it waits for the
   * target to catch up, so a long wait stalls the shard's writes (seconds, measured in the
   * rebalance benchmark); a failed transfer is tried again at a later check.
   */
  private static final java.time.Duration TRANSFER_TIMEOUT = java.time.Duration.ofSeconds(1);

  /**
   * @param seeds the configured peers: the map's nodes when it is created
   * @param balanceLeaders whether this controller spreads leaderships (otherwise the nodes'
   *     {@link LeaderBalancer}s do, for a cluster with its creation nodes)
   */
  public PlacementController(MapAccess map, Replicas replicas, BooleanSupplier leadsMetaGroup,
      BooleanSupplier balanceLeaders, List<MapNode> seeds, int shardCount, int replicationFactor,
      PlacementPolicy policy, MetricRegistry metrics, LongSupplier clock) {
    this.map = map;
    this.replicas = replicas;
    this.leadsMetaGroup = leadsMetaGroup;
    this.balanceLeaders = balanceLeaders;
    this.seeds = List.copyOf(seeds);
    this.shardCount = shardCount;
    this.policy = policy;
    this.planner = new PlacementPlanner(replicationFactor, policy.maxConcurrentMoves());
    this.clock = clock;
    this.mover = new ReplicaMover(this::submit, replicas, policy.maxConcurrentMoves(), metrics, clock,
        TRANSFER_TIMEOUT);
  }

  /** Checks every {@link PlacementPolicy#checkInterval()} until closed. */
  public synchronized void start() {
    ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "shardkv-placement");
      t.setDaemon(true);
      return t;
    });
    long ms = policy.checkInterval().toMillis();
    ticker.scheduleWithFixedDelay(() -> {
      try {
        check();
      } catch (IOException | RuntimeException e) {
        LOG.warn("placement check failed (retried in {} ms): {}", ms, e.toString());
      }
    }, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** One check (see the class comment). Does nothing unless this node leads the meta group. */
  void check() throws IOException {
    if (!leadsMetaGroup.getAsBoolean()) {
      if (leading) {
        leading = false;
        unreachableSince.clear();
      }
      return;
    }
    leading = true;
    // Moves running when this check began are this controller's own, even if they end before
    // the map read below shows them: never taken over.
    Set<Integer> ownMoves = mover.running();
    ClusterMap current = map.read();
    if (current.getVersion() == 0) {
      submit(MapCommand.newBuilder().setCreate(CreateMap.newBuilder().addAllNodes(seeds).setShardCount(shardCount)),
          "create the cluster map");
      return;
    }
    if (current.getShardCount() != shardCount) {
      LOG.error("cluster map has {} shards, this node is configured with {}: not placing anything",
          current.getShardCount(), shardCount);
      return;
    }
    List<String> ids = current.getNodesList().stream().map(MapNode::getId).toList();
    List<String> up = replicas.nodesUp(ids);
    Map<Integer, List<String>> members = new LinkedHashMap<>();
    for (int s = 0; s < shardCount; s++) {
      members.put(s, replicas.members(s));
    }
    boolean returned = up.stream().anyMatch(unreachableSince::containsKey);
    current = updateNodeStates(current, up, members);
    for (MapMove m : current.getMovesList()) {
      if (!ownMoves.contains(m.getShard()) && !mover.isRunning(m.getShard())) {
        mover.takeOver(m, members.get(m.getShard()));
      }
    }
    long now = clock.getAsLong();
    if (returned || now - lastSweepMillis >= STALE_SWEEP_INTERVAL_MILLIS) {
      lastSweepMillis = now;
      Set<Integer> busy = new java.util.HashSet<>(mover.running());
      current.getMovesList().forEach(m -> busy.add(m.getShard()));
      sweepStaleReplicas(up, members, busy);
    }
    List<PlacementPlanner.NodeView> views = current.getNodesList().stream()
        .map(n -> new PlacementPlanner.NodeView(n.getId(), plannerState(n.getState()), up.contains(n.getId())))
        .toList();
    Set<Integer> moving = new java.util.HashSet<>(mover.running());
    current.getMovesList().forEach(m -> moving.add(m.getShard()));
    Set<Integer> resting = mover.resting(); // a shard whose move just failed waits a little
    Set<Integer> notNow = new java.util.HashSet<>(moving);
    notNow.addAll(resting);
    List<PlacementPlanner.Move> moves = planner.moves(views, projected(members, current), notNow);
    for (PlacementPlanner.Move m : moves) {
      mover.begin(m);
    }
    if (moves.isEmpty() && moving.isEmpty() && balanceLeaders.getAsBoolean()) {
      Map<Integer, String> leaders = new HashMap<>();
      for (int s = 0; s < shardCount; s++) {
        int shard = s;
        replicas.knownLeader(s).ifPresent(l -> leaders.put(shard, l));
      }
      planner.leaderTransfer(views, members, leaders).ifPresent(t -> {
        try {
          replicas.transferLeader(t.shard(), t.to(), TRANSFER_TIMEOUT);
          LOG.info("placement: shard {} leadership moved from {} to {} (spreading leaders)", t.shard(), t.from(), t.to());
        } catch (IOException | RuntimeException e) {
          LOG.info("placement: shard {} leadership not moved to {}: {}", t.shard(), t.to(), e.toString());
        }
      });
    }
  }

  /**
   * The members each shard will have once the moves under way are done: the planner counts
   * replicas by them, so it does not send a third replica to a node already receiving two (and
   * then move one back).
   */
  private static Map<Integer, List<String>> projected(Map<Integer, List<String>> members, ClusterMap map) {
    Map<Integer, List<String>> out = new LinkedHashMap<>(members);
    for (MapMove m : map.getMovesList()) {
      List<String> after = new ArrayList<>(out.getOrDefault(m.getShard(), List.of()));
      if (!m.getToNode().isEmpty() && !after.contains(m.getToNode())) {
        after.add(m.getToNode());
      }
      after.remove(m.getFromNode());
      out.put(m.getShard(), after);
    }
    return out;
  }

  /** JOINING or DOWN nodes that answer become ACTIVE; ACTIVE ones unreachable past the timeout, DOWN. */
  private ClusterMap updateNodeStates(ClusterMap current, List<String> up, Map<Integer, List<String>> members)
      throws IOException {
    long now = clock.getAsLong();
    ClusterMap latest = current;
    for (MapNode n : current.getNodesList()) {
      String id = n.getId();
      if (up.contains(id)) {
        unreachableSince.remove(id);
        if (n.getState() == NodeState.JOINING || n.getState() == NodeState.DOWN) {
          latest = setState(id, NodeState.ACTIVE, n.getState() + " node answers").orElse(latest);
        }
        continue;
      }
      long since = unreachableSince.computeIfAbsent(id, k -> now);
      if (n.getState() == NodeState.ACTIVE && now - since >= policy.downTimeout().toMillis()) {
        LOG.warn("placement: node {} unreachable for {} s (down timeout {} s): marking it DOWN; its replicas are "
            + "re-created on other nodes", id, (now - since) / 1000, policy.downTimeout().toSeconds());
        latest = setState(id, NodeState.DOWN, "unreachable").orElse(latest);
      }
    }
    return latest;
  }

  private Optional<ClusterMap> setState(String node, NodeState state, String why) throws IOException {
    MapCommandResult r = submit(MapCommand.newBuilder().setSetState(SetNodeState.newBuilder().setNode(node)
        .setState(state)), "mark " + node + " " + state);
    if (r.getRefusal().isEmpty()) {
      LOG.info("placement: node {} is now {} ({})", node, state, why);
      return Optional.of(r.getMap());
    }
    return Optional.empty();
  }

  /**
   * Drops the copies that up nodes still hold of shards they are no longer voters of: a replica
   * removed while its node was down (a move's source that crashed, a node marked DOWN) never
   * heard of its removal, and would keep its node from serving. Shards with a move under way
   * are left alone (the move's new replica exists before the configuration names it).
   */
  private void sweepStaleReplicas(List<String> up, Map<Integer, List<String>> members, Set<Integer> busy) {
    for (String node : up) {
      for (int shard : replicas.shardsHeldBy(node)) {
        List<String> m = members.getOrDefault(shard, List.of());
        if (!m.isEmpty() && !m.contains(node) && !busy.contains(shard) && !mover.isRunning(shard)) {
          replicas.dropStaleReplica(shard, node);
        }
      }
    }
  }


  private MapCommandResult submit(MapCommand.Builder command, String what) throws IOException {
    MapCommandResult r = map.submit(command.setAtMillis(clock.getAsLong()).build());
    if (!r.getRefusal().isEmpty()) {
      LOG.debug("placement: could not {}: {}", what, r.getRefusal());
    }
    return r;
  }

  private static PlacementPlanner.NodeState plannerState(NodeState state) {
    return switch (state) {
      case ACTIVE -> PlacementPlanner.NodeState.ACTIVE;
      case DRAINING -> PlacementPlanner.NodeState.DRAINING;
      case DOWN -> PlacementPlanner.NodeState.DOWN;
      default -> PlacementPlanner.NodeState.JOINING;
    };
  }

  @Override
  public synchronized void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
    mover.close();
  }
}
