package io.shardkv.raft;

import com.codahale.metrics.MetricRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Empties one node of its replicas (Admin DrainNode), so it can be stopped without leaving any
 * shard with fewer replicas. It plans every move before making one: a shard with no other node
 * that is up to go to refuses the whole drain and nothing changes. Then, one shard at a time, it adds a
 * replica on the node holding the fewest (Ratis lets the new member catch up before the
 * configuration that counts it commits), hands the shard's leadership to it if the drained node
 * leads, and removes the drained replica: each shard keeps at least its replica count
 * throughout. A drain that fails midway leaves every finished move in place and the current one
 * either not started or with one replica more; calling it again carries on.
 */
public final class NodeDrainer {
  private static final Logger LOG = LoggerFactory.getLogger(NodeDrainer.class);

  /** The membership operations a drain needs (ShardAdministration's; a fake in tests). */
  public interface Membership {
    /** The shard's current members. */
    List<String> members(int shard) throws IOException;

    /** The shard's leader, if one is known. */
    Optional<String> knownLeader(int shard);

    /** Adds {@code node} to the shard; returns the members after. */
    List<String> addReplica(int shard, String node) throws IOException;

    /** Removes {@code node} from the shard; returns the members after. */
    List<String> removeReplica(int shard, String node) throws IOException;

    /** Moves the shard's leadership to {@code toNode}; returns the leader after. */
    String transferLeader(int shard, String toNode) throws IOException;

    /** Those of {@code nodes} whose Raft server answers now (only such nodes take replicas). */
    List<String> nodesUp(List<String> nodes);
  }

  /** One replica moved. */
  public record Move(int shard, String from, String to) {}

  private final List<String> nodes;
  private final int shardCount;
  private final Membership membership;
  private final MetricRegistry metrics;

  /**
   * @param nodes every configured node, in configured order (ties between targets go to the
   *     earlier one)
   */
  public NodeDrainer(List<String> nodes, int shardCount, Membership membership, MetricRegistry metrics) {
    this.nodes = List.copyOf(nodes);
    this.shardCount = shardCount;
    this.membership = membership;
    this.metrics = metrics;
  }

  /**
   * Moves every replica off {@code node}; returns the moves made.
   *
   * @throws IllegalArgumentException {@code node} is not a configured node
   * @throws IllegalStateException some shard has no node to move to (nothing was changed)
   * @throws IOException a member could not be asked, or a move failed (see the class comment)
   */
  public List<Move> drain(String node) throws IOException {
    if (!nodes.contains(node)) {
      throw new IllegalArgumentException("node '" + node + "' is not one of the configured peers " + nodes);
    }
    List<Move> plan = plan(node);
    List<Move> done = new ArrayList<>();
    for (Move m : plan) {
      metrics.counter(MetricNames.replicaMoves("started")).inc();
      try {
        move(m);
      } catch (IOException | RuntimeException e) {
        metrics.counter(MetricNames.replicaMoves("failed")).inc();
        LOG.error("drain of {}: moving shard {} to {} failed after {} of {} moves: {}", node, m.shard(), m.to(),
            done.size(), plan.size(), e.toString());
        throw e;
      }
      metrics.counter(MetricNames.replicaMoves("finished")).inc();
      done.add(m);
    }
    LOG.info("drain of {}: {} replicas moved off: {}", node, done.size(), done);
    return done;
  }

  private List<Move> plan(String node) throws IOException {
    Map<Integer, List<String>> members = new HashMap<>();
    Map<String, Integer> held = new HashMap<>();
    nodes.forEach(n -> held.put(n, 0));
    for (int s = 0; s < shardCount; s++) {
      List<String> m = membership.members(s);
      members.put(s, m);
      m.forEach(n -> held.merge(n, 1, Integer::sum));
    }
    List<String> up = membership.nodesUp(nodes.stream().filter(n -> !n.equals(node)).toList());
    List<Move> plan = new ArrayList<>();
    for (int s = 0; s < shardCount; s++) {
      List<String> m = members.get(s);
      if (!m.contains(node)) {
        continue;
      }
      Optional<String> target = up.stream()
          .filter(n -> !m.contains(n))
          .min(Comparator.comparingInt(held::get)); // stable: the earlier node on ties
      if (target.isEmpty()) {
        throw new IllegalStateException("cannot drain " + node + ": shard " + s + " has replicas " + m
            + " and no other node that is up can take one (up: " + up + "); start or add a node first."
            + " Nothing was changed");
      }
      held.merge(target.get(), 1, Integer::sum);
      plan.add(new Move(s, node, target.get()));
    }
    return plan;
  }

  private void move(Move m) throws IOException {
    membership.addReplica(m.shard(), m.to());
    if (membership.knownLeader(m.shard()).filter(m.from()::equals).isPresent()) {
      try {
        membership.transferLeader(m.shard(), m.to()); // a removed leader would leave an election
      } catch (IOException | RuntimeException e) {
        LOG.warn("drain: shard {} leadership not handed to {} before removing {}: {}", m.shard(), m.to(), m.from(),
            e.toString());
      }
    }
    membership.removeReplica(m.shard(), m.from());
    LOG.info("drain: shard {} replica moved from {} to {}", m.shard(), m.from(), m.to());
  }
}
