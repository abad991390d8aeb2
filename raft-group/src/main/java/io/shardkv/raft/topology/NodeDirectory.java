package io.shardkv.raft.topology;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import io.shardkv.raft.host.GroupHostConfig;

/**
 * Where every node this node knows of listens: the configured peers (the seeds) from the start,
 * and every node the cluster map adds later. Addresses are only ever added (a node removed from
 * the map may still be a member of some group until its replicas are gone); parts that keep
 * their own connections (the Raft clients, the snapshot fetcher's channels) are told of each
 * new node.
 */
public final class NodeDirectory {
  private final Map<String, PeerAddress> nodes = new LinkedHashMap<>();
  private final List<Consumer<PeerAddress>> listeners = new CopyOnWriteArrayList<>();

  /** @param known the nodes known from configuration, in configured order */
  public NodeDirectory(List<PeerAddress> known) {
    known.forEach(p -> nodes.put(p.id(), p));
  }

  /** The configured peers of {@code config}, and the node itself if it joins from outside them. */
  public static NodeDirectory of(GroupHostConfig config) {
    List<PeerAddress> known = new ArrayList<>(config.peers());
    config.joinAs().ifPresent(known::add);
    return new NodeDirectory(known);
  }

  /** The address of node {@code id}, if known. */
  public synchronized Optional<PeerAddress> find(String id) {
    return Optional.ofNullable(nodes.get(id));
  }

  /** Every known node, configured ones first, then in the order the map added them. */
  public synchronized List<PeerAddress> all() {
    return List.copyOf(nodes.values());
  }

  /** Calls {@code listener} for every node added from now on. */
  public void onNewNode(Consumer<PeerAddress> listener) {
    listeners.add(listener);
  }

  /** Learns the nodes of {@code map} that are new here; tells the listeners of each. */
  public void learn(ClusterMap map) {
    List<PeerAddress> added = new ArrayList<>();
    synchronized (this) {
      for (MapNode n : map.getNodesList()) {
        PeerAddress address = PeerAddress.of(n);
        PeerAddress before = nodes.get(n.getId());
        if (before == null || (before.clientPort() == 0 && address.clientPort() != 0)) {
          nodes.put(n.getId(), address);
          if (before == null) {
            added.add(address);
          }
        }
      }
    }
    added.forEach(a -> listeners.forEach(l -> l.accept(a)));
  }
}
