package io.shardkv.control.placement;

import io.shardkv.raft.host.ShardAdministration;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The placement controller's shard operations, each through a {@link ShardAdministration} made
 * for it: one made earlier would not know the nodes the cluster map added since.
 */
public final class FreshAdministration implements PlacementController.Replicas {
  private final Supplier<ShardAdministration> administration;

  public FreshAdministration(Supplier<ShardAdministration> administration) {
    this.administration = administration;
  }

  @Override
  public void dropStaleReplica(int shard, String node) {
    administration.get().dropStaleReplica(shard, node);
  }

  @Override
  public Set<Integer> shardsHeldBy(String node) {
    return administration.get().shardsHeldBy(node);
  }

  @Override
  public List<String> members(int shard) throws IOException {
    return administration.get().members(shard);
  }

  @Override
  public Optional<String> knownLeader(int shard) {
    return administration.get().knownLeader(shard);
  }

  @Override
  public List<String> addReplica(int shard, String node) throws IOException {
    return administration.get().addReplica(shard, node);
  }

  @Override
  public List<String> removeReplica(int shard, String node) throws IOException {
    return administration.get().removeReplica(shard, node);
  }

  @Override
  public String transferLeader(int shard, String toNode) throws IOException {
    return administration.get().transferLeader(shard, toNode);
  }

  @Override
  public String transferLeader(int shard, String toNode, Duration timeout) throws IOException {
    return administration.get().transferLeader(shard, toNode, timeout);
  }

  @Override
  public List<String> nodesUp(List<String> nodes) {
    return administration.get().nodesUp(nodes);
  }
}
