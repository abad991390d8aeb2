package io.shardkv.raft.host;

import io.shardkv.raft.topology.GroupIds;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leadership moves this node starts on its own behalf: handing the shards it leads to peers
 * before a graceful stop, and claiming a shard's leadership when a leader balancer asks.
 * Operator-requested transfers go through {@link ShardAdministration} directly.
 */
final class Leadership {
  /** The host's decisions keep the host's logger name, which operators grep for. */
  private static final Logger LOG = LoggerFactory.getLogger(ShardGroupHost.class);

  private final GroupHostConfig config;
  private final GroupIds groupIds;
  private final NodeRaftServer server;
  private final HostedGroups groups;
  private final DivisionReader divisions;
  private final Supplier<ShardAdministration> administration;

  Leadership(GroupHostConfig config, GroupIds groupIds, NodeRaftServer server, HostedGroups groups,
      DivisionReader divisions, Supplier<ShardAdministration> administration) {
    this.config = config;
    this.groupIds = groupIds;
    this.server = server;
    this.groups = groups;
    this.divisions = divisions;
    this.administration = administration;
  }

  /**
   * Hands the leadership of every shard this node leads to the peer that has committed the
   * most, so each group elects at once instead of waiting out an election timeout after this
   * node goes quiet. Each transfer gives up after {@code timeout}; they run in parallel.
   * Returns the shards whose leadership moved.
   */
  List<Integer> handOff(Duration timeout) {
    if (server.get() == null) {
      return List.of();
    }
    long start = System.nanoTime();
    Map<Integer, String> targets = new LinkedHashMap<>();
    for (int shard = 0; shard < config.shardCount(); shard++) {
      if (groups.hosted(shard)) {
        int sh = shard;
        divisions.handOffTarget(shard, config.nodeId()).ifPresent(target -> targets.put(sh, target));
      }
    }
    if (targets.isEmpty()) {
      return List.of();
    }
    // A thread per transfer: each blocks until its target leads or the timeout passes, and the
    // common pool has a single thread on two cores, which would run them one after another.
    ExecutorService pool = Executors.newFixedThreadPool(targets.size(), r -> {
      Thread t = new Thread(r, "shardkv-hand-off");
      t.setDaemon(true);
      return t;
    });
    Map<Integer, CompletableFuture<Optional<String>>> transfers = new LinkedHashMap<>();
    try {
      targets.forEach((shard, target) -> transfers.put(shard, CompletableFuture.supplyAsync(() -> {
        try {
          return Optional.of(administration.get().transferLeader(shard, target, timeout));
        } catch (IOException | RuntimeException e) {
          LOG.debug("shard {}: hand-off to {} failed: {}", shard, target, e.toString());
          return Optional.<String>empty();
        }
      }, pool)));
    } finally {
      pool.shutdown();
    }
    List<Integer> moved = new ArrayList<>();
    Map<Integer, String> to = new LinkedHashMap<>();
    transfers.forEach((shard, f) -> f.join().ifPresent(node -> {
      moved.add(shard);
      to.put(shard, node);
    }));
    LOG.info("node {}: before stopping, handed leadership of {} of the {} shards it led to peers {} in {} ms",
        config.nodeId(), moved.size(), transfers.size(), to, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    return moved;
  }

  /**
   * Moves {@code shard}'s leadership to this node, only if its replica here is at most
   * {@code maxLagEntries} behind the group's commit index, giving up after {@code timeout}: the
   * leader refuses writes while it waits for the target, so a claim by a lagging replica under
   * a bulk load would stall the shard's writes for the whole wait. True if it moved.
   */
  boolean claim(int shard, long maxLagEntries, Duration timeout) {
    try {
      RaftServer.Division division = server.division(groupIds.of(shard));
      long lag = division.getRaftLog().getLastCommittedIndex() - division.getInfo().getLastAppliedIndex();
      if (lag > maxLagEntries) {
        LOG.debug("shard {}: not claiming leadership, this replica is {} entries behind", shard, lag);
        return false;
      }
      administration.get().transferLeader(shard, config.nodeId(), timeout);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.debug("shard {}: leadership transfer to {} failed: {}", shard, config.nodeId(), e.toString());
      return false;
    }
  }
}
