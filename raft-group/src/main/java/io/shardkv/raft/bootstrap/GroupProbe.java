package io.shardkv.raft.bootstrap;

import io.shardkv.raft.ratis.Causes;
import io.shardkv.raft.ratis.RatisClientSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.GroupListReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.retry.RetryPolicies;

/**
 * Asks one node, over its Raft port, whether it hosts a group and with which members (for
 * {@link GroupBootstrap}). One attempt per question, bounded by a short timeout: the caller
 * asks again if it needs to.
 */
public final class GroupProbe implements AutoCloseable {
  private final RaftClient client;

  public GroupProbe(List<RaftPeer> peers, Parameters tls, Duration timeout) {
    this.client = RaftClient.newBuilder()
        .setProperties(RatisClientSettings.client(timeout))
        .setParameters(tls)
        .setRaftGroup(RaftGroup.valueOf(RaftGroupId.randomId(), peers))
        .setClientId(ClientId.randomId())
        .setRetryPolicy(RetryPolicies.noRetry())
        .build();
  }

  /**
   * Whether {@code node}'s Raft server answers at all. Asks for its group list, which every
   * server has: asking for a group it lacks would log a warning there at every probe.
   */
  public boolean answers(RaftPeerId node) {
    try {
      return client.getGroupManagementApi(node).list().isSuccess();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * What {@code node} says about {@code group}. Asks for its group list first and for the
   * group's members only if it is listed: asking a node for a group it lacks logs a warning
   * with a stack trace there, and at a cluster's creation every node lacks every group.
   */
  GroupBootstrap.Answer ask(RaftPeerId node, RaftGroupId group) {
    try {
      GroupListReply list = client.getGroupManagementApi(node).list();
      if (!list.isSuccess()) {
        return new GroupBootstrap.Answer.Unreachable(String.valueOf(list.getException()));
      }
      if (!list.getGroupIds().contains(group)) {
        return new GroupBootstrap.Answer.Lacks();
      }
      GroupInfoReply info = client.getGroupManagementApi(node).info(group);
      if (info.isSuccess()) {
        return new GroupBootstrap.Answer.Has(info.getGroup().getPeers().stream()
            .map(p -> p.getId().toString()).sorted().toList());
      }
      return lacks(info.getException(), group) ? new GroupBootstrap.Answer.Lacks()
          : new GroupBootstrap.Answer.Unreachable(String.valueOf(info.getException()));
    } catch (IOException | RuntimeException e) {
      return lacks(e, group) ? new GroupBootstrap.Answer.Lacks() : new GroupBootstrap.Answer.Unreachable(e.toString());
    }
  }

  /**
   * "Group not found" from a node that is up (the group went between the list and the
   * question). Over gRPC it may arrive as Ratis's
   * GroupMismatchException or, unwrapped, only as a status whose message says so.
   */
  private static boolean lacks(Throwable e, RaftGroupId group) {
    return Causes.of(e).anyMatch(t -> t instanceof GroupMismatchException
            || (t.getMessage() != null && t.getMessage().contains(group.toString() + " not found")));
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
