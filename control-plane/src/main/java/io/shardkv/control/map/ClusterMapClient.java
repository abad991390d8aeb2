package io.shardkv.control.map;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.raft.ratis.RatisBytes;
import io.shardkv.raft.ratis.RatisClientSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;

/**
 * Reads and changes the cluster map through the meta group, from any node: a Ratis client
 * whose group is the meta members (the first seeds). Calls block, retrying while the group
 * elects, for at most the request timeout.
 */
public final class ClusterMapClient implements AutoCloseable {
  private static final long RETRY_SLEEP_MS = 100;
  private final RaftClient client;

  public ClusterMapClient(RaftGroupId metaGroup, List<RaftPeer> metaMembers, Parameters tls, Duration timeout) {
    this.client = RaftClient.newBuilder()
        .setProperties(RatisClientSettings.client(timeout))
        .setParameters(tls)
        .setRaftGroup(RaftGroup.valueOf(metaGroup, metaMembers))
        .setClientId(ClientId.randomId())
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
            (int) Math.max(1, timeout.toMillis() / RETRY_SLEEP_MS),
            TimeDuration.valueOf(RETRY_SLEEP_MS, TimeUnit.MILLISECONDS)))
        .build();
  }

  /** The map as the meta leader has committed it (a linearizable read). */
  public ClusterMap read() throws IOException {
    RaftClientReply reply = client.io().sendReadOnly(RatisBytes.toMessage(ClusterMap.getDefaultInstance()));
    try {
      return ClusterMap.parseFrom(RatisBytes.view(ok(reply).getMessage().getContent()));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("undecodable cluster map from " + reply.getServerId(), e);
    }
  }

  /** Commits {@code command}; the result says whether it changed the map, and the map after it. */
  public MapCommandResult submit(MapCommand command) throws IOException {
    RaftClientReply reply = client.io().send(RatisBytes.toMessage(command));
    try {
      return MapCommandResult.parseFrom(RatisBytes.view(ok(reply).getMessage().getContent()));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("undecodable cluster map result from " + reply.getServerId(), e);
    }
  }

  private static RaftClientReply ok(RaftClientReply reply) throws IOException {
    if (!reply.isSuccess()) {
      throw new IOException("the meta group did not answer: " + reply.getException(), reply.getException());
    }
    return reply;
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
