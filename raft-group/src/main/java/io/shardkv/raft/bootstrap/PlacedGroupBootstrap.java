package io.shardkv.raft.bootstrap;

import io.shardkv.raft.topology.GroupIds;
import io.shardkv.raft.topology.ShardPlacement;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.ratis.protocol.RaftPeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts hosting the placed groups a node has no copy of, in rounds: asks every other node
 * about each group ({@link GroupProbe}), lets {@link GroupBootstrap} decide, and joins or skips;
 * shards still undecided are asked again after a pause, until a deadline. One log line per
 * shard says what was decided and why.
 */
public final class PlacedGroupBootstrap {
  private static final Logger LOG = LoggerFactory.getLogger(PlacedGroupBootstrap.class);
  private static final long PAUSE_MS = 200;

  /** Creates {@code shard}'s group on this node with {@code members}. */
  @FunctionalInterface
  public interface Joiner {
    void join(int shard, List<RaftPeer> members) throws IOException;
  }

  private final String self;
  private final List<RaftPeer> peers;
  private final ShardPlacement placement;
  private final GroupIds groupIds;
  private final GroupProbe probe;
  private final Duration wait;

  public PlacedGroupBootstrap(String self, List<RaftPeer> peers, ShardPlacement placement, GroupIds groupIds,
      GroupProbe probe, Duration wait) {
    this.self = self;
    this.peers = List.copyOf(peers);
    this.placement = placement;
    this.groupIds = groupIds;
    this.probe = probe;
    this.wait = wait;
  }

  /**
   * Decides every shard of {@code shards}; fails when some are still undecided after the wait
   * (the other replicas of a new cluster must start too).
   */
  public void run(List<Integer> shards, Joiner joiner) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    List<Integer> pending = new ArrayList<>(shards);
    Map<Integer, String> waiting = new LinkedHashMap<>();
    // The questions of a round go out at once: asked one by one, a new cluster's nodes (all
    // starting on the same cores) took seconds to decide a few shards.
    ExecutorService askers = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "shardkv-group-probe");
      t.setDaemon(true);
      return t;
    });
    try {
      while (true) {
        waiting.clear();
        Map<Integer, Map<String, CompletableFuture<GroupBootstrap.Answer>>> asked = new LinkedHashMap<>();
        for (int shard : pending) {
          Map<String, CompletableFuture<GroupBootstrap.Answer>> perPeer = new LinkedHashMap<>();
          for (RaftPeer p : peers) {
            if (!p.getId().toString().equals(self)) {
              perPeer.put(p.getId().toString(),
                  CompletableFuture.supplyAsync(() -> probe.ask(p.getId(), groupIds.of(shard)), askers));
            }
          }
          asked.put(shard, perPeer);
        }
        for (Iterator<Integer> it = pending.iterator(); it.hasNext(); ) {
          int shard = it.next();
          Map<String, GroupBootstrap.Answer> answers = new LinkedHashMap<>();
          asked.get(shard).forEach((peer, answer) -> answers.put(peer, answer.join()));
          GroupBootstrap.Decision d = GroupBootstrap.decide(self, placement.replicas(shard), answers);
          if (d instanceof GroupBootstrap.Decision.Host h) {
            joiner.join(shard, peers.stream().filter(p -> h.members().contains(p.getId().toString())).toList());
            LOG.info("node {}: hosting shard {}: {}", self, shard, h.reason());
            it.remove();
          } else if (d instanceof GroupBootstrap.Decision.Skip k) {
            LOG.warn("node {}: not hosting shard {} although the placement names it: {}", self, shard, k.reason());
            it.remove();
          } else {
            waiting.put(shard, ((GroupBootstrap.Decision.Wait) d).reason());
          }
        }
        if (pending.isEmpty()) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("node " + self + ": gave up after " + wait.toSeconds()
              + " s waiting to learn whether shards " + waiting.keySet() + " exist elsewhere: " + waiting.values());
        }
        try {
          Thread.sleep(PAUSE_MS); // the other nodes of a new cluster are starting too
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while bootstrapping shard groups", e);
        }
      }
    } finally {
      askers.shutdownNow();
    }
  }
}
