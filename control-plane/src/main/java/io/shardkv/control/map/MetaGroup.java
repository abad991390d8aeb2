package io.shardkv.control.map;

import io.shardkv.raft.topology.GroupIds;
import io.shardkv.raft.topology.PeerAddress;
import java.util.List;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * The Raft group that holds the cluster map: its id (derived from the cluster id like the shard
 * groups', so two clusters never share one) and its members, the first {@link #MEMBERS} of the
 * configured peers in order, so every node computes the same group without asking.
 */
public record MetaGroup(RaftGroupId id, List<PeerAddress> members) {
  /** How many of the configured peers hold the cluster map. */
  public static final int MEMBERS = 3;

  public MetaGroup {
    members = List.copyOf(members);
  }

  /** The meta group of cluster {@code clusterId} with configured {@code peers}. */
  public static MetaGroup of(String clusterId, List<PeerAddress> peers) {
    return new MetaGroup(new GroupIds(clusterId).meta(), peers.subList(0, Math.min(MEMBERS, peers.size())));
  }

  /** Whether node {@code nodeId} holds a replica of the map. */
  public boolean hasMember(String nodeId) {
    return members.stream().anyMatch(p -> p.id().equals(nodeId));
  }

  /** The members' ids, in order. */
  public List<String> memberIds() {
    return members.stream().map(PeerAddress::id).toList();
  }
}
