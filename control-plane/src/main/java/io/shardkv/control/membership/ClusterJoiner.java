package io.shardkv.control.membership;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.control.map.ClusterMapRules;
import io.shardkv.control.map.MapAccess;
import io.shardkv.control.map.MapNodes;
import io.shardkv.raft.topology.PeerAddress;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds a node that is not one of the configured peers to the cluster map as JOINING, through
 * the seeds' meta group; the placement controller then makes it ACTIVE and moves replicas to it.
 * A node already in the map (a restart) carries on if its address is the same. Keeps asking
 * while the meta group does not answer, up to a deadline.
 */
public final class ClusterJoiner {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterJoiner.class);
  private static final long RETRY_PAUSE_MS = 500;

  /** The map refused this node for good: another id is needed, or the old entry removed. */
  static final class JoinRefusedException extends IOException {
    JoinRefusedException(String message) {
      super(message);
    }
  }

  private final MapAccess map;
  private final Duration wait;

  public ClusterJoiner(MapAccess map, Duration wait) {
    this.map = map;
    this.wait = wait;
  }

  /** Joins {@code me} (see the class comment); {@code seeds} only name the seeds in the log. */
  public void join(PeerAddress me, List<String> seeds) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    MapNode entry = MapNodes.entry(me);
    while (true) {
      try {
        ClusterMap current = map.read();
        Optional<MapNode> known = ClusterMapRules.node(current, me.id());
        if (known.isPresent()) {
          if (!known.get().getHost().equals(me.host()) || known.get().getRaftPort() != me.raftPort()) {
            throw new JoinRefusedException("node id '" + me.id() + "' is in the cluster map with address "
                + known.get().getHost() + ":" + known.get().getRaftPort() + ", not " + me.raftAddress()
                + ": give this node another id, or remove the old one (Admin RemoveNode)");
          }
          LOG.info("node {}: in the cluster map (version {}) as {}", me.id(), current.getVersion(),
              known.get().getState());
          return;
        }
        MapCommandResult result = map.submit(MapCommand.newBuilder().setAddNode(entry)
            .setAtMillis(System.currentTimeMillis()).build());
        if (result.getRefusal().isEmpty()) {
          LOG.info("node {}: joined the cluster through the seeds {} (cluster map version {}, JOINING)", me.id(),
              seeds, result.getMap().getVersion());
          return;
        }
        if (current.getVersion() != 0) {
          throw new JoinRefusedException("node '" + me.id() + "' cannot join: " + result.getRefusal());
        }
      } catch (JoinRefusedException e) {
        throw e;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IOException("node '" + me.id() + "' could not reach the cluster map through the seeds "
              + seeds + " within " + wait.toSeconds() + " s", e);
        }
      }
      try {
        Thread.sleep(RETRY_PAUSE_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while joining", e);
      }
    }
  }
}
