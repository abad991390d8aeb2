package io.shardkv.raft.topology;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * Derives each shard's Raft group id from the cluster id and the shard number, so every node
 * computes the same ids without coordination and two clusters never share one.
 */
public final class GroupIds {
  private final String clusterId;

  public GroupIds(String clusterId) {
    this.clusterId = clusterId;
  }

  /** The group id of the cluster map (the meta group): a v3 UUID of "shardkv/CLUSTER/meta". */
  public RaftGroupId meta() {
    String name = "shardkv/" + clusterId + "/meta";
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)));
  }

  /** The group id of {@code shard}: a name-based (v3) UUID of "shardkv/CLUSTER/shard/N". */
  public RaftGroupId of(int shard) {
    String name = "shardkv/" + clusterId + "/shard/" + shard;
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)));
  }
}
