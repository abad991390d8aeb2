package io.shardkv.control.map;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import io.shardkv.raft.ratis.RatisBytes;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meta group's state machine: the cluster map ({@link ClusterMapRules} decides what each
 * command does). The map is a few hundred bytes and changes only when a node or a replica
 * moves, so it is kept in memory and rebuilt at start by replaying the group's log, which is
 * never purged: no snapshot is ever taken ({@link BaseStateMachine#takeSnapshot()} reports none).
 * That also keeps the meta group off the shard groups' snapshot transfer, which Ratis's own
 * install is turned off for on this server.
 */
public final class ClusterMapStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterMapStateMachine.class);

  private final Consumer<ClusterMap> onChange;
  private volatile ClusterMap map = ClusterMapRules.empty();

  /** @param onChange told every new map this replica applies (on the apply thread; keep it quick) */
  public ClusterMapStateMachine(Consumer<ClusterMap> onChange) {
    this.onChange = onChange;
  }

  /** The map as this replica has applied it (possibly behind the leader's). */
  public ClusterMap map() {
    return map;
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    TermIndex ti = TermIndex.valueOf(entry);
    MapCommandResult result;
    try {
      MapCommand command = MapCommand.parseFrom(RatisBytes.view(entry.getStateMachineLogEntry().getLogData()));
      result = ClusterMapRules.apply(map, command);
    } catch (InvalidProtocolBufferException e) {
      // Only this process writes the meta log; an undecodable entry is refused on every replica alike.
      result = MapCommandResult.newBuilder().setRefusal("undecodable cluster map command").setMap(map).build();
    }
    if (result.getRefusal().isEmpty()) {
      map = result.getMap();
      LOG.info("cluster map version {} at {}: {} nodes {}, moves {}", map.getVersion(), ti, map.getNodesCount(),
          map.getNodesList().stream().map(n -> n.getId() + "=" + n.getState()).toList(),
          map.getMovesList().stream().map(m -> m.getShard() + ":" + m.getFromNode() + "->" + m.getToNode()
              + "/" + m.getPhase()).toList());
      onChange.accept(map);
    }
    updateLastAppliedTermIndex(ti.getTerm(), ti.getIndex());
    return CompletableFuture.completedFuture(RatisBytes.toMessage(result));
  }

  /** Every query is "the map": its bytes. */
  @Override
  public CompletableFuture<Message> query(Message request) {
    return CompletableFuture.completedFuture(RatisBytes.toMessage(map));
  }
}
