package io.shardkv.raft.host;

import io.shardkv.raft.topology.PeerAddress;
import java.util.List;
import java.util.function.Supplier;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.statemachine.StateMachine;

/**
 * A Raft group other than the shards' that this node's Ratis server also runs when the node is
 * one of its members: the cluster map's group, which the control plane brings. The host only
 * runs it; what its state machine means is its owner's business.
 *
 * @param id the group's id (distinct from every shard group's, see {@code GroupIds})
 * @param members the group's members, in order; a node not among them does not host it
 * @param stateMachine makes the group's state machine when Ratis loads or creates the group here
 */
public record ExtraGroup(RaftGroupId id, List<PeerAddress> members, Supplier<StateMachine> stateMachine) {
  public ExtraGroup {
    members = List.copyOf(members);
  }

  /** Whether node {@code nodeId} is one of the members. */
  public boolean hasMember(String nodeId) {
    return members.stream().anyMatch(p -> p.id().equals(nodeId));
  }
}
