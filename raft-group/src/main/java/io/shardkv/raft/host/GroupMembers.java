package io.shardkv.raft.host;

import io.shardkv.raft.bootstrap.GroupProbe;
import io.shardkv.raft.ratis.RatisClientSettings;
import io.shardkv.raft.topology.GroupIds;
import io.shardkv.raft.topology.PeerAddress;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.GroupListReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is in each shard's group and who leads it, as far as this node can tell: from its own
 * replica when it hosts one, else by asking the members (the ones last seen first, see
 * {@code memberHints}); also which groups a node holds and which nodes answer at all. Reads
 * only: {@link ShardAdministration} changes memberships with what it learns here.
 */
final class GroupMembers {
  /** Administration's lines keep its logger name, which operators grep for. */
  private static final Logger LOG = LoggerFactory.getLogger(ShardAdministration.class);

  private final GroupHostConfig config;
  private final GroupIds groupIds;
  private final RaftServer server;
  private final List<RaftClient> clients;
  private final RemovedReplicas removed;
  private final Map<String, RaftPeer> peers;
  private final Map<Integer, List<String>> memberHints;

  /**
   * @param nodes every node known now (configured peers and nodes the cluster map added)
   * @param memberHints each shard's members as last read from another node, shared between
   *     instances: asked first, so nodes without the group are rarely asked (each such question
   *     logs a warning on that node)
   */
  GroupMembers(GroupHostConfig config, GroupIds groupIds, RaftServer server, List<RaftClient> clients,
      RemovedReplicas removed, List<PeerAddress> nodes, Map<Integer, List<String>> memberHints) {
    this.config = config;
    this.groupIds = groupIds;
    this.server = server;
    this.clients = List.copyOf(clients);
    this.removed = removed;
    this.memberHints = memberHints;
    this.peers = nodes.stream().collect(Collectors.toMap(PeerAddress::id,
        p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.raftAddress()).build(), (a, b) -> a,
        LinkedHashMap::new));
  }

  /** The group's current members: from the local division if hosted, else from a member. */
  Collection<RaftPeer> currentPeers(int shard) throws IOException {
    RaftGroupId groupId = groupIds.of(shard);
    RaftServer.Division local = localDivision(shard);
    if (local != null) {
      return local.getRaftConf().getCurrentPeers();
    }
    IOException last = null;
    List<String> hinted = memberHints.getOrDefault(shard, List.of());
    List<RaftPeer> order = new ArrayList<>();
    hinted.stream().map(peers::get).filter(Objects::nonNull).forEach(order::add);
    peers.values().stream().filter(p -> !order.contains(p)).forEach(order::add);
    for (RaftPeer p : order) {
      if (p.getId().toString().equals(config.nodeId())) {
        continue;
      }
      try {
        GroupInfoReply info = clients.get(shard).getGroupManagementApi(p.getId()).info(groupId);
        if (info.isSuccess()) {
          memberHints.put(shard, ids(info.getGroup().getPeers()));
          return info.getGroup().getPeers();
        }
      } catch (IOException e) {
        last = e;
      } catch (RuntimeException e) {
        last = new IOException(e); // a node that holds no replica can answer with a gRPC status
      }
    }
    throw new IOException("no node answered for shard " + shard + "'s membership", last);
  }

  /**
   * The group's leader: as the local replica sees it, else as a member reports it (a member
   * that leads reports itself). Unknown (an election): the first member, whose "not leader"
   * answer names the leader if there is one.
   */
  RaftPeerId currentLeader(int shard) throws IOException {
    Optional<RaftPeerId> local = localLeader(shard);
    if (local.isPresent()) {
      return local.get();
    }
    Collection<RaftPeer> members = currentPeers(shard);
    return reportedLeader(shard, members).orElse(members.iterator().next().getId());
  }

  /** The shard's leader as the local replica or, failing that, its members say; empty if unknown. */
  Optional<String> knownLeader(int shard) {
    Optional<RaftPeerId> local = localLeader(shard);
    if (local.isPresent()) {
      return local.map(RaftPeerId::toString);
    }
    try {
      return reportedLeader(shard, currentPeers(shard)).map(RaftPeerId::toString);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The leader this node's own replica of {@code shard} knows of; empty if none is hosted or known. */
  private Optional<RaftPeerId> localLeader(int shard) {
    RaftServer.Division local = localDivision(shard);
    return local == null ? Optional.empty() : Optional.ofNullable(local.getInfo().getLeaderId());
  }

  /** This node's replica of {@code shard}; null if it holds none (never hosted, or removed). */
  RaftServer.Division localDivision(int shard) {
    if (removed.isRemoved(shard)) {
      return null;
    }
    try {
      return server.getDivision(groupIds.of(shard));
    } catch (IOException e) {
      return null;
    }
  }

  /** The leader as the first of {@code members} that knows one says; empty during an election. */
  Optional<RaftPeerId> reportedLeader(int shard, Collection<RaftPeer> members) {
    for (RaftPeer p : members) {
      try {
        GroupInfoReply info = clients.get(shard).getGroupManagementApi(p.getId()).info(groupIds.of(shard));
        if (!info.isSuccess()) {
          continue;
        }
        var role = info.getRoleInfoProto();
        if (role.hasLeaderInfo()) {
          return Optional.of(p.getId());
        }
        if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
          return Optional.of(RaftPeerId.valueOf(role.getFollowerInfo().getLeaderInfo().getId().getId()));
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("shard {}: {} did not say who leads: {}", shard, p.getId(), e.toString());
      }
    }
    return Optional.empty();
  }

  /** Those of {@code nodes} whose Raft server answers now. */
  List<String> nodesUp(List<String> nodes) {
    // Any answer to "which groups do you host" means the node's Raft server is up.
    try (GroupProbe probe = new GroupProbe(List.copyOf(peers.values()),
        RatisClientSettings.parameters(config.peerTls()), Duration.ofSeconds(2))) {
      return nodes.stream().filter(node -> node.equals(config.nodeId())
          || probe.answers(configured(node).getId())).toList();
    } catch (IOException e) {
      return nodes.stream().filter(config.nodeId()::equals).toList(); // closing the probe failed: trust only this node
    }
  }

  /** The shards whose group {@code nodeId} has a copy of (one question to it; empty if it does not answer). */
  Set<Integer> shardsHeldBy(String nodeId) {
    RaftPeer peer = peers.get(nodeId);
    if (peer == null) {
      return Set.of();
    }
    try {
      GroupListReply list = clients.get(0).getGroupManagementApi(peer.getId()).list();
      if (!list.isSuccess()) {
        return Set.of();
      }
      Set<Integer> held = new TreeSet<>();
      for (int s = 0; s < config.shardCount(); s++) {
        if (list.getGroupIds().contains(groupIds.of(s))) {
          held.add(s);
        }
      }
      return held;
    } catch (IOException | RuntimeException e) {
      return Set.of();
    }
  }

  /** Node {@code nodeId}'s Raft address; fails naming the known nodes if there is none. */
  RaftPeer configured(String nodeId) {
    RaftPeer peer = peers.get(nodeId);
    if (peer == null) {
      throw new IllegalArgumentException("node '" + nodeId + "' is neither one of the configured peers nor in the cluster map "
          + peers.keySet().stream().sorted().toList());
    }
    return peer;
  }

  /** Node {@code nodeId}'s Raft address, if it is known. */
  Optional<RaftPeer> find(String nodeId) {
    return Optional.ofNullable(peers.get(nodeId));
  }

  /** Every known node's Raft address. */
  List<RaftPeer> all() {
    return List.copyOf(peers.values());
  }

  /** The ids of {@code peers}, sorted. */
  static List<String> ids(Collection<RaftPeer> peers) {
    return peers.stream().map(p -> p.getId().toString()).sorted().toList();
  }
}
