package io.shardkv.raft.host;

import java.io.IOException;
import java.util.Optional;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;

/**
 * This node's one Ratis server, which runs a division of every group the node hosts: built with
 * shardkv's properties and a state machine per group, started, and told to host more groups.
 * The rest of the host reads divisions through it; before {@link #start} and after
 * {@link #close} there is none.
 */
final class NodeRaftServer implements AutoCloseable {
  private final RaftPeerId self;
  private volatile RaftServer server;

  NodeRaftServer(String nodeId) {
    this.self = RaftPeerId.valueOf(nodeId);
  }

  /**
   * Builds the server and starts it: Ratis reloads every group in its storage, running each
   * state machine's initialization (the cold-start gates) before this returns.
   *
   * @return how long the start took, in nanoseconds
   */
  long start(RaftProperties properties, Parameters tls, StateMachine.Registry stateMachines) throws IOException {
    RaftServer built = RaftServer.newBuilder()
        .setServerId(self)
        .setProperties(properties)
        .setParameters(tls)
        .setStateMachineRegistry(stateMachines)
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    server = built;
    long start = System.nanoTime();
    built.start();
    return System.nanoTime() - start;
  }

  /** The running server; null before {@link #start} and after {@link #close}. */
  RaftServer get() {
    return server;
  }

  /** This node's id in every group. */
  RaftPeerId self() {
    return self;
  }

  /** Whether this node has a division of {@code groupId} (reloaded from storage or added). */
  boolean hosts(RaftGroupId groupId) throws IOException {
    for (RaftGroupId existing : server.getGroupIds()) {
      if (existing.equals(groupId)) {
        return true;
      }
    }
    return false;
  }

  /** Hosts {@code group} with its members as given, unless this node has a division of it already. */
  void join(RaftGroup group) throws IOException {
    if (hosts(group.getGroupId())) {
      return; // reloaded from this node's Raft storage
    }
    RaftClientReply reply;
    try {
      reply = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(), self, 0, group));
    } catch (AlreadyExistsException e) {
      return;
    }
    if (!reply.isSuccess()) {
      throw new IOException("could not add group " + group.getGroupId() + ": " + reply.getException(),
          reply.getException());
    }
  }

  /** The leader of {@code groupId} as this node's division knows it; empty if it has none or none is known. */
  Optional<String> leaderOf(RaftGroupId groupId) {
    RaftServer s = server;
    if (s == null) {
      return Optional.empty(); // not started (a metrics scrape can come first)
    }
    try {
      RaftPeerId leader = s.getDivision(groupId).getInfo().getLeaderId();
      return leader == null ? Optional.empty() : Optional.of(leader.toString());
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // not hosted here, or closed by Ratis after a failed apply
    }
  }

  /** Whether this node's division of {@code groupId} leads its group. */
  boolean leads(RaftGroupId groupId) {
    RaftServer s = server;
    if (s == null) {
      return false;
    }
    try {
      return s.getDivision(groupId).getInfo().isLeader();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** This node's division of {@code groupId}; fails if it has none. */
  RaftServer.Division division(RaftGroupId groupId) throws IOException {
    return server.getDivision(groupId);
  }

  @Override
  public void close() throws IOException {
    RaftServer s = server;
    server = null;
    if (s != null) {
      s.close();
    }
  }
}
