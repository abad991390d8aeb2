package io.shardkv.raft.topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Which nodes hold the replicas of each shard when a cluster is created: {@code
 * replicationFactor} of the nodes per shard (all of them when there are fewer), spread so that
 * every node holds within one replica of every other, and with one preferred leader per shard
 * spread the same way. A pure function of its inputs, so every node of a new cluster computes
 * the same layout without asking anyone; it is a group's first membership only, since Admin
 * replica calls change members later and Raft keeps the current ones.
 *
 * <p>Each shard in turn takes the nodes holding the fewest replicas so far, ties broken in the
 * node order rotated by the shard number; that keeps the spread of replica counts at most one
 * after every shard. The preferred leader is first chosen among them the same way by
 * leaderships, then, while some node prefers two more shards than another, a leadership moves
 * along a chain of shards from the first to the second (each step to another replica of the
 * same shard), which evens the counts wherever the replica sets allow it.
 * With as many nodes as the replication factor every node holds every shard and the preferred
 * leader of shard {@code s} is node {@code s mod n}: the layout clusters have always had.
 */
public final class ShardPlacement {
  private final List<String> nodes;
  private final int replicationFactor;
  /** Per shard, the replica holders in the nodes' order. */
  private final List<List<String>> replicas;
  private final List<String> preferredLeaders;

  private ShardPlacement(List<String> nodes, int replicationFactor, List<List<String>> replicas,
      List<String> preferredLeaders) {
    this.nodes = nodes;
    this.replicationFactor = replicationFactor;
    this.replicas = replicas;
    this.preferredLeaders = preferredLeaders;
  }

  /**
   * @param nodes the cluster's node ids in their configured order (distinct)
   * @param shardCount number of shards, at least 1
   * @param replicationFactor replicas per shard, at least 1; capped at the number of nodes
   */
  public static ShardPlacement balanced(List<String> nodes, int shardCount, int replicationFactor) {
    if (nodes.isEmpty() || new LinkedHashSet<>(nodes).size() != nodes.size()) {
      throw new IllegalArgumentException("nodes must be distinct and at least one, got " + nodes);
    }
    if (shardCount < 1 || replicationFactor < 1) {
      throw new IllegalArgumentException("shard count and replication factor must be >= 1, got "
          + shardCount + " and " + replicationFactor);
    }
    int n = nodes.size();
    int rf = Math.min(replicationFactor, n);
    int[] held = new int[n];
    int[] led = new int[n];
    List<List<String>> replicas = new ArrayList<>(shardCount);
    List<String> leaders = new ArrayList<>(shardCount);
    for (int shard = 0; shard < shardCount; shard++) {
      List<Integer> order = rotated(n, shard);
      List<Integer> chosen = order.stream()
          .sorted(Comparator.comparingInt(i -> held[i])) // stable: ties keep the rotated order
          .limit(rf).toList();
      int leader = order.stream().filter(chosen::contains)
          .min(Comparator.comparingInt(i -> led[i])).orElseThrow();
      chosen.forEach(i -> held[i]++);
      led[leader]++;
      replicas.add(chosen.stream().sorted().map(nodes::get).toList());
      leaders.add(nodes.get(leader));
    }
    evenLeaders(nodes, replicas, leaders);
    return new ShardPlacement(List.copyOf(nodes), rf, List.copyOf(replicas), List.copyOf(leaders));
  }

  /**
   * Moves preferred leaderships from the node with the most to the node with the fewest while
   * they differ by two or more and a chain connects them: the busiest node passes a shard to
   * another of its replicas, which passes one of its own on, and so on to the least busy.
   * Every node on the chain but the ends keeps its count.
   */
  private static void evenLeaders(List<String> nodes, List<List<String>> replicas, List<String> leaders) {
    for (int round = 0; round < leaders.size() * nodes.size(); round++) {
      Map<String, Integer> led = new HashMap<>();
      nodes.forEach(n -> led.put(n, 0));
      leaders.forEach(n -> led.merge(n, 1, Integer::sum));
      String most = nodes.stream().max(Comparator.comparingInt(led::get)).orElseThrow();
      String fewest = nodes.stream().min(Comparator.comparingInt(led::get)).orElseThrow();
      if (led.get(most) - led.get(fewest) < 2 || !moveAlongChain(most, fewest, replicas, leaders)) {
        return;
      }
    }
  }

  /** Breadth-first from {@code from} over "leads a shard that {@code to} also holds"; shifts the chain found. */
  private static boolean moveAlongChain(String from, String to, List<List<String>> replicas, List<String> leaders) {
    Map<String, Integer> reachedBy = new HashMap<>(); // node -> shard whose leadership it would take
    java.util.ArrayDeque<String> queue = new java.util.ArrayDeque<>(List.of(from));
    reachedBy.put(from, -1);
    while (!queue.isEmpty()) {
      String node = queue.poll();
      for (int s = 0; s < leaders.size(); s++) {
        if (!leaders.get(s).equals(node)) {
          continue;
        }
        for (String next : replicas.get(s)) {
          if (reachedBy.containsKey(next)) {
            continue;
          }
          reachedBy.put(next, s);
          if (next.equals(to)) {
            for (String at = to; !at.equals(from); ) {
              int shard = reachedBy.get(at);
              String previous = leaders.get(shard);
              leaders.set(shard, at);
              at = previous;
            }
            return true;
          }
          queue.add(next);
        }
      }
    }
    return false;
  }

  private static List<Integer> rotated(int n, int start) {
    List<Integer> order = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      order.add((start + k) % n);
    }
    return order;
  }

  /** The cluster's nodes in their configured order. */
  public List<String> nodes() {
    return nodes;
  }

  /** Replicas per shard: the configured factor, or the node count when that is smaller. */
  public int replicationFactor() {
    return replicationFactor;
  }

  public int shardCount() {
    return replicas.size();
  }

  /** The nodes holding {@code shard}'s replicas at creation, in the nodes' configured order. */
  public List<String> replicas(int shard) {
    return replicas.get(shard);
  }

  /** Whether {@code node} holds a replica of {@code shard} at creation. */
  public boolean holds(String node, int shard) {
    return replicas.get(shard).contains(node);
  }

  /** The node that should lead {@code shard} while it is up (one of its replicas). */
  public String preferredLeader(int shard) {
    return preferredLeaders.get(shard);
  }

  /** Whether every node holds every shard (node count at most the replication factor). */
  public boolean everyNodeHoldsEveryShard() {
    return replicationFactor == nodes.size();
  }

  /** The shards {@code node} holds at creation, ascending. */
  public List<Integer> shardsOf(String node) {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s < replicas.size(); s++) {
      if (holds(node, s)) {
        out.add(s);
      }
    }
    return out;
  }

  /** Replicas per node, in the nodes' order (for logs and tests). */
  public Map<String, Integer> replicaCounts() {
    Map<String, Integer> counts = new HashMap<>();
    nodes.forEach(node -> counts.put(node, shardsOf(node).size()));
    return counts;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("placement(rf=" + replicationFactor + ")");
    for (int s = 0; s < replicas.size(); s++) {
      b.append(' ').append(s).append('=').append(String.join(",", replicas.get(s)))
          .append("/leader ").append(preferredLeaders.get(s));
    }
    return b.toString();
  }
}
