package io.shardkv.raft.topology;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Where every node this node knows of listens: the configured peers (the seeds) from the start,
 * and every node the control plane learns of later from the cluster map. Addresses are only
 * ever added (a node removed from the map may still be a member of some group until its
 * replicas are gone); parts that keep their own connections (the Raft clients, the snapshot
 * fetcher's channels) are told of each new node.
 */
public final class NodeDirectory {
  private final Map<String, PeerAddress> nodes = new LinkedHashMap<>();
  private final List<Consumer<PeerAddress>> listeners = new CopyOnWriteArrayList<>();

  /** @param known the nodes known from configuration, in configured order */
  public NodeDirectory(List<PeerAddress> known) {
    known.forEach(p -> nodes.put(p.id(), p));
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

  /**
   * Learns the nodes of {@code addresses} that are new here (and a client port where only the
   * Raft port was known); tells the listeners of each new node.
   */
  public void learn(List<PeerAddress> addresses) {
    List<PeerAddress> added = new ArrayList<>();
    synchronized (this) {
      for (PeerAddress address : addresses) {
        PeerAddress before = nodes.get(address.id());
        if (before == null || (before.clientPort() == 0 && address.clientPort() != 0)) {
          nodes.put(address.id(), address);
          if (before == null) {
            added.add(address);
          }
        }
      }
    }
    added.forEach(a -> listeners.forEach(l -> l.accept(a)));
  }
}
