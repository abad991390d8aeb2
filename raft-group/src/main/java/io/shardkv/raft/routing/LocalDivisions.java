package io.shardkv.raft.routing;

import io.shardkv.raft.topology.GroupIds;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.RaftServer;

/**
 * Requests handed straight to this node's own Raft division of a shard, skipping the Ratis
 * client and its network hop (Ozone's Ozone Manager submits the same way). Used for writes when
 * this node leads the shard, and for linearizable reads on any replica (a follower asks the
 * leader for the read index, then reads locally once it has applied that far). It also builds
 * the requests this node forwards to a leader elsewhere, so every write carries an id of ours
 * that stays the same when it is resent.
 *
 * <p>Each request gets its own call id under one client id of this node, so Ratis's retry
 * cache never mistakes two requests for one. The ids come from Ratis's own JVM-wide counter:
 * a resent request travels on a Ratis client's connection, which matches replies to requests
 * by call id alone and refuses a second pending request with the same id, so an id of ours
 * must never equal one of that client's (a counter of our own, starting at 1, could).
 */
public final class LocalDivisions {
  private final RaftServer server;
  private final GroupIds groupIds;
  private final RaftPeerId self;
  private final ClientId clientId = ClientId.randomId();

  public LocalDivisions(RaftServer server, GroupIds groupIds) {
    this.server = server;
    this.groupIds = groupIds;
    this.self = server.getId();
  }

  /**
   * A write request for this node's division of {@code shard} if that division is the leader
   * and ready now; else empty. Submit it with {@link #submit}; if the leader steps down, resend
   * THE SAME request (same client and call id) to the new leader, whose retry cache then
   * recognises it if it was appended before: resending under another call id could apply the
   * command twice.
   */
  Optional<RaftClientRequest> writeRequestIfLeader(int shard, Message message) {
    Optional<RaftServer.Division> division = division(shard);
    if (division.isEmpty() || !division.get().getInfo().isLeader() || !division.get().getInfo().isLeaderReady()) {
      return Optional.empty();
    }
    return Optional.of(request(shard, message, RaftClientRequest.writeRequestType()));
  }

  /**
   * A write request for {@code shard} to send to its leader elsewhere: like
   * {@link #writeRequestIfLeader}, resend THE SAME request until a leader answers it.
   */
  RaftClientRequest writeRequest(int shard, Message message) {
    return request(shard, message, RaftClientRequest.writeRequestType());
  }

  /** This node's Raft peer id. */
  RaftPeerId self() {
    return self;
  }

  /** Hands {@code request} to this node's division. */
  CompletableFuture<RaftClientReply> submit(RaftClientRequest request) {
    try {
      return server.submitClientRequestAsync(request);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The leader of {@code shard} as this node's replica knows it, if any. */
  Optional<RaftPeerId> leaderOf(int shard) {
    return division(shard).map(d -> d.getInfo().getLeaderId());
  }

  /** Whether this node holds a replica (a Raft division) of {@code shard}. */
  boolean hosts(int shard) {
    return division(shard).isPresent();
  }

  /** A linearizable read through this node's replica of {@code shard}, if it has one. */
  Optional<CompletableFuture<RaftClientReply>> linearizableRead(int shard, Message message) {
    if (division(shard).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(submit(request(shard, message, RaftClientRequest.readRequestType())));
  }

  private RaftClientRequest request(int shard, Message message, RaftClientRequest.Type type) {
    return RaftClientRequest.newBuilder()
        .setClientId(clientId)
        .setServerId(self)
        .setGroupId(groupIds.of(shard))
        .setCallId(CallId.getAndIncrement())
        .setMessage(message)
        .setType(type)
        .build();
  }

  private Optional<RaftServer.Division> division(int shard) {
    try {
      RaftServer.Division d = server.getDivision(groupIds.of(shard));
      return Optional.ofNullable(d);
    } catch (IOException e) {
      return Optional.empty(); // not hosted here, or not loaded yet
    }
  }
}
