package io.shardkv.raft.host;

import io.shardkv.raft.ratis.RatisClientSettings;
import io.shardkv.raft.replica.ShardStateMachine;
import io.shardkv.raft.snapshot.SnapshotArtifact;
import io.shardkv.raft.topology.GroupIds;
import io.shardkv.raft.topology.PeerAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator actions on shard groups through Ratis's admin APIs: status of this node's replicas,
 * leadership transfer, and membership changes (set-configuration). Each call is addressed to one
 * shard; the Raft client finds the group's leader itself.
 */
public final class ShardAdministration {
  private static final Logger LOG = LoggerFactory.getLogger(ShardAdministration.class);

  private final GroupHostConfig config;
  private final GroupIds groupIds;
  private final List<RaftClient> clients;
  private final IntFunction<ShardStateMachine> replicas;
  private final GroupMembers groupMembers;
  /**
   * How long an added replica may take to catch up before the change that counts it commits:
   * a snapshot of the whole shard goes first, so this is long; a node that stops answering
   * ends the wait sooner.
   */
  private static final java.time.Duration ADD_TIMEOUT = java.time.Duration.ofMinutes(30);
  private static final long CHANGE_RETRY_PAUSE_MS = 250;

  /**
   * @param nodes every node known now (configured peers and nodes the cluster map added)
   * @param memberHints each shard's members as last read from another node (see {@link GroupMembers})
   */
  ShardAdministration(GroupHostConfig config, GroupIds groupIds, RaftServer server, List<RaftClient> clients,
      IntFunction<ShardStateMachine> replicas, RemovedReplicas removed, List<PeerAddress> nodes,
      Map<Integer, List<String>> memberHints) {
    this.config = config;
    this.groupIds = groupIds;
    this.clients = List.copyOf(clients);
    this.replicas = replicas;
    this.groupMembers = new GroupMembers(config, groupIds, server, clients, removed, nodes, memberHints);
  }

  /** Every shard, as this node's replica (or, where it hosts none, the group's members) sees it. */
  public List<ReplicaStatus> status() {
    List<ReplicaStatus> out = new ArrayList<>();
    for (int shard = 0; shard < config.shardCount(); shard++) {
      out.add(status(shard));
    }
    return out;
  }

  private ReplicaStatus status(int shard) {
    RaftGroupId groupId = groupIds.of(shard);
    ShardStateMachine replica = replicas.apply(shard);
    RaftServer.Division division = groupMembers.localDivision(shard);
    if (division == null || replica == null) {
      List<String> members = List.of();
      Optional<String> leader = Optional.empty();
      try {
        Collection<RaftPeer> peers = groupMembers.currentPeers(shard);
        members = GroupMembers.ids(peers);
        leader = groupMembers.reportedLeader(shard, peers).map(RaftPeerId::toString);
      } catch (IOException | RuntimeException e) {
        LOG.debug("shard {}: members unknown: {}", shard, e.toString());
      }
      return new ReplicaStatus(shard, groupId.getUuid().toString(), false, leader, 0, -1,
          Optional.empty(), Optional.empty(), Optional.empty(), members);
    }
    Optional<io.shardkv.store.AppliedIndex> snapshot;
    try {
      snapshot = replica.latestArtifact().map(SnapshotArtifact::index);
    } catch (IOException e) {
      snapshot = Optional.empty();
    }
    try {
      var info = division.getInfo();
      return new ReplicaStatus(shard, groupId.getUuid().toString(), true,
          Optional.ofNullable(info.getLeaderId()).map(RaftPeerId::toString), info.getCurrentTerm(),
          info.getLastAppliedIndex(), replica.durableAppliedIndex(), snapshot, replica.coldStart(),
          GroupMembers.ids(division.getRaftConf().getCurrentPeers()));
    } catch (RuntimeException e) {
      // Ratis closes a group whose apply failed (invariant 8): its log no longer answers. The
      // replica is still this node's, and the rest of the status must still be served.
      LOG.debug("shard {}: replica status unavailable: {}", shard, e.toString());
      return new ReplicaStatus(shard, groupId.getUuid().toString(), true, Optional.empty(), 0, -1,
          replica.durableAppliedIndex(), snapshot, replica.coldStart(), List.of());
    }
  }

  /** Moves {@code shard}'s leadership to {@code toNode}; returns the leader afterwards. */
  public String transferLeader(int shard, String toNode) throws IOException {
    return transferLeader(shard, toNode, config.requestTimeout());
  }

  /**
   * As {@link #transferLeader(int, String)}, giving up after {@code timeout}. While a transfer
   * waits for the target to catch up, the leader refuses writes ("stepping down"), so a
   * transfer nobody asked for by hand (the balancer's) must not wait long.
   */
  public String transferLeader(int shard, String toNode, java.time.Duration timeout) throws IOException {
    checkShard(shard);
    if (!GroupMembers.ids(groupMembers.currentPeers(shard)).contains(toNode)) {
      throw new IllegalArgumentException("node '" + toNode + "' is not a replica of shard " + shard
          + " (replicas: " + GroupMembers.ids(groupMembers.currentPeers(shard)) + ")");
    }
    // Addressed to the leader explicitly: the Ratis client's own idea of the leader may be a
    // node since removed from the group, which answers "group not found" and is not retried.
    RaftClientReply reply = clients.get(shard).admin()
        .transferLeadership(RaftPeerId.valueOf(toNode), groupMembers.currentLeader(shard), timeout.toMillis());
    check(reply, "transfer leadership of shard " + shard + " to " + toNode);
    LOG.info("shard {}: leadership transferred to {}", shard, toNode);
    return toNode;
  }

  /**
   * Adds configured node {@code nodeId} to {@code shard}'s group: the node first hosts the group
   * as a joining replica (see {@link #hostJoiningReplica}), then the leader commits the new
   * configuration; the replica catches up by installing the leader's snapshot and the log after
   * it. Idempotent.
   */
  public List<String> addReplica(int shard, String nodeId) throws IOException {
    checkShard(shard);
    RaftPeer peer = groupMembers.configured(nodeId);
    List<RaftPeer> current = new ArrayList<>(groupMembers.currentPeers(shard));
    if (GroupMembers.ids(current).contains(nodeId)) {
      return GroupMembers.ids(current);
    }
    hostJoiningReplica(shard, peer, current);
    List<String> after = changeMembers(shard, "add " + nodeId + " to shard " + shard, current, members -> {
      if (GroupMembers.ids(members).contains(nodeId)) {
        return null;
      }
      List<RaftPeer> next = new ArrayList<>(members);
      next.add(peer);
      return next;
    }, ADD_TIMEOUT, () -> nodesUp(List.of(nodeId)).isEmpty() ? nodeId + " does not answer" : null);
    LOG.info("shard {}: replica added on {}; replicas now {}", shard, nodeId, after);
    return after;
  }

  /**
   * Commits the configuration {@code change} makes of the shard's current members, as a
   * compare-and-set against the members it was computed from: a view read from a follower that
   * has not yet applied the last change (an AddReplica that just returned) must not undo that
   * change. After any failure it reads the members again and goes on until {@code change} says
   * there is nothing left to do (the change committed meanwhile: an added replica that needed
   * longer than one request to catch up), {@code giveUp} says stop, or {@code timeout} passes.
   *
   * @param read the members as the caller just read them (the first attempt starts from them)
   * @param giveUp checked after each failure: a reason to stop now (e.g. the new replica's node
   *     stopped answering), or null to go on
   */
  private List<String> changeMembers(int shard, String what, List<RaftPeer> read,
      UnaryOperator<List<RaftPeer>> change, java.time.Duration timeout,
      java.util.function.Supplier<String> giveUp) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<RaftPeer> current = read;
    while (true) {
      List<RaftPeer> next = change.apply(current);
      if (next == null) {
        return GroupMembers.ids(current);
      }
      Throwable failure;
      try (RaftClient toLeader = clientOf(shard, groupMembers.currentLeader(shard))) {
        RaftClientReply reply = toLeader.admin().setConfiguration(SetConfigurationRequest.Arguments
            .newBuilder().setServersInCurrentConf(current).setServersInNewConf(next)
            .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET).build());
        if (reply.isSuccess()) {
          return GroupMembers.ids(next);
        }
        failure = reply.getException();
      } catch (IOException e) {
        failure = e;
      }
      // Members changed meanwhile, the leader asked left the group or lost its leadership, the
      // new replica is still catching up (the request timed out, or the leader is staging it
      // and answers "reconfiguration in progress"): read the members again and carry on.
      String stop = System.nanoTime() > deadline ? "no change within " + timeout.toSeconds() + " s" : giveUp.get();
      if (stop != null) {
        throw new IOException(what + " failed (" + stop + "): " + failure, failure);
      }
      LOG.debug("shard {}: {}: not committed yet ({}); reading the members again", shard, what, failure.toString());
      try {
        Thread.sleep(CHANGE_RETRY_PAUSE_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(what + ": interrupted", e);
      }
      current = new ArrayList<>(groupMembers.currentPeers(shard));
    }
  }

  /**
   * Creates {@code shard}'s group on {@code peer} with the current members only, so the new
   * replica starts in Ratis's "initializing" state: it answers the leader but never asks for
   * votes until a configuration that names it reaches it. Created with itself among the members,
   * it would campaign after its first-election timeout, and a leader that does not know it yet
   * answers such a vote request with "shut down", which closes the new replica for good (the
   * set-configuration then waits for a replica that never catches up).
   */
  void hostJoiningReplica(int shard, RaftPeer peer, List<RaftPeer> current) throws IOException {
    RaftClientReply added;
    try {
      added = clients.get(shard).getGroupManagementApi(peer.getId())
          .add(RaftGroup.valueOf(groupIds.of(shard), current));
    } catch (AlreadyExistsException e) {
      return; // an earlier AddReplica created it and failed later: carry on with that replica
    }
    check(added, "create shard " + shard + "'s group on node " + peer.getId());
  }

  /**
   * Removes node {@code nodeId}'s replica of {@code shard}: the leader commits the configuration
   * without it, then the node drops the group and deletes its data. Refused for the last replica.
   */
  public List<String> removeReplica(int shard, String nodeId) throws IOException {
    checkShard(shard);
    RaftPeer peer = groupMembers.configured(nodeId);
    List<RaftPeer> current = new ArrayList<>(groupMembers.currentPeers(shard));
    if (!GroupMembers.ids(current).contains(nodeId)) {
      return GroupMembers.ids(current);
    }
    List<String> after = changeMembers(shard, "remove " + nodeId + " from shard " + shard, current, members -> {
      if (!GroupMembers.ids(members).contains(nodeId)) {
        return null;
      }
      if (members.size() == 1) {
        throw new IllegalStateException("node '" + nodeId + "' holds the only replica of shard " + shard
            + "; add another replica first");
      }
      List<RaftPeer> next = new ArrayList<>(members);
      next.removeIf(p -> p.getId().equals(peer.getId()));
      return next;
    }, config.requestTimeout(), () -> null);
    // A few quick attempts, not the shard client's retries for the whole request timeout: a node
    // removed because it is down would hold every such move for 10 s, and its copy is dropped
    // anyway once it answers again (dropStaleReplica).
    RaftClientReply dropped;
    try (RaftClient toNode = clientOf(shard, peer.getId())) {
      dropped = toNode.getGroupManagementApi(peer.getId()).remove(groupIds.of(shard), true, false);
    }
    check(dropped, "drop shard " + shard + "'s group on node " + nodeId
        + " (it is no longer a member; restart it to retry)");
    LOG.info("shard {}: replica removed from {}; replicas now {}", shard, nodeId, after);
    return after;
  }

  /**
   * Drops {@code nodeId}'s copy of {@code shard}'s group (one {@link #shardsHeldBy} named) if the
   * shard's leader confirms it is no longer a member.
   */
  public void dropStaleReplica(int shard, String nodeId) {
    RaftPeer peer = groupMembers.find(nodeId).orElse(null);
    if (peer == null) {
      return;
    }
    try {
      // Only on the leader's word: a follower's view may not have the configuration that
      // just added this node yet.
      Optional<String> leader = knownLeader(shard);
      RaftPeer leaderPeer = leader.flatMap(groupMembers::find).orElse(null);
      if (leaderPeer == null) {
        return;
      }
      GroupInfoReply leaderView = clients.get(shard).getGroupManagementApi(leaderPeer.getId()).info(groupIds.of(shard));
      if (!leaderView.isSuccess() || !leaderView.getRoleInfoProto().hasLeaderInfo()
          || leaderView.getGroup().getPeers().stream().anyMatch(p -> p.getId().equals(peer.getId()))) {
        return;
      }
      RaftClientReply dropped = clients.get(shard).getGroupManagementApi(peer.getId()).remove(groupIds.of(shard), true,
          false);
      if (dropped.isSuccess()) {
        LOG.info("shard {}: stale replica on {} (no longer a member; removed while it was down) dropped", shard,
            nodeId);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("shard {}: no stale replica dropped on {}: {}", shard, nodeId, e.toString());
    }
  }

  /**
   * A Ratis client of {@code shard}'s group that starts at {@code leader} and retries only a few
   * times: the node clients would try first may have left the group, and its "group not found" is
   * not retried by Ratis. Knows every node this node knows of. Close it after the call.
   */
  private RaftClient clientOf(int shard, RaftPeerId leader) {
    return RaftClient.newBuilder()
        .setProperties(RatisClientSettings.client(config.requestTimeout()))
        .setParameters(RatisClientSettings.parameters(config.peerTls()))
        .setRaftGroup(RaftGroup.valueOf(groupIds.of(shard), groupMembers.all()))
        .setLeaderId(leader)
        .setClientId(org.apache.ratis.protocol.ClientId.randomId())
        .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
            org.apache.ratis.util.TimeDuration.valueOf(100, java.util.concurrent.TimeUnit.MILLISECONDS)))
        .build();
  }
  /** The shard's leader as the local replica or, failing that, its members say; empty if unknown. */
  public Optional<String> knownLeader(int shard) {
    return groupMembers.knownLeader(shard);
  }

  /** The shard's current members, sorted. */
  public List<String> members(int shard) throws IOException {
    checkShard(shard);
    return GroupMembers.ids(groupMembers.currentPeers(shard));
  }

  /** Those of {@code nodes} whose Raft server answers now (only such nodes take replicas). */
  public List<String> nodesUp(List<String> nodes) {
    return groupMembers.nodesUp(nodes);
  }

  /** The shards whose group {@code nodeId} has a copy of (one question to it; empty if it does not answer). */
  public Set<Integer> shardsHeldBy(String nodeId) {
    return groupMembers.shardsHeldBy(nodeId);
  }

  /** The group's current members: from the local division if hosted, else from a member. */
  Collection<RaftPeer> currentPeers(int shard) throws IOException {
    return groupMembers.currentPeers(shard);
  }

  private void checkShard(int shard) {
    if (shard < 0 || shard >= config.shardCount()) {
      throw new IllegalArgumentException("shard must be in [0, " + config.shardCount() + "), got " + shard);
    }
  }

  private static void check(RaftClientReply reply, String what) throws IOException {
    if (!reply.isSuccess()) {
      throw new IOException("could not " + what + ": " + reply.getException(), reply.getException());
    }
  }

}
