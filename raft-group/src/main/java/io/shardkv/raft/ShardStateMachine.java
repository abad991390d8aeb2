package io.shardkv.raft;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ShardStore;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of one shard replica: applies each committed entry to the shard's
 * store in one write transaction together with the entry's {@code (term, index)}.
 *
 * <p>Applies run synchronously on Ratis's apply thread, so the store has a single writer and
 * the meta record follows log order. A store failure is thrown from the apply call: Ratis then
 * stops this group's updater and closes the division, so no later entry is applied over a gap
 * (DESIGN invariant 8).
 */
public final class ShardStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(ShardStateMachine.class);

  private final int shard;
  private final ShardStoreOpener opener;
  private final ShardCommandExecutor executor = new ShardCommandExecutor();
  private final Timer applyTimer;
  private final Counter applyFailures;
  private volatile ShardStore store;
  private volatile Throwable failure;

  public ShardStateMachine(int shard, ShardStoreOpener opener, MetricRegistry metrics) {
    this.shard = shard;
    this.opener = opener;
    this.applyTimer = metrics.timer(MetricNames.applySeconds(shard));
    this.applyFailures = metrics.counter(MetricNames.applyFailures(shard));
  }

  public int shard() {
    return shard;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    super.initialize(server, groupId, raftStorage);
    store = opener.open(shard);
    // Ratis replays the log from the start of what it holds; entries at or below the store's
    // meta are recognised by the store and skipped, so replay never re-applies data.
    LOG.info("shard {}: store opened, durable applied index {}", shard,
        store.appliedIndex().map(Object::toString).orElse("missing"));
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    TermIndex ti = TermIndex.valueOf(entry);
    RaftCommand command;
    try {
      command = RaftCommand.parseFrom(RatisBytes.view(entry.getStateMachineLogEntry().getLogData()));
    } catch (InvalidProtocolBufferException e) {
      // Bad input is rejected before the log (invariant 9); an undecodable entry means a
      // version or corruption problem, and skipping it would diverge from the log.
      throw fail(ti, new IllegalStateException("undecodable log entry at " + ti, e));
    }
    RaftCommandResult result;
    try (Timer.Context ignored = applyTimer.time()) {
      result = executor.execute(store, command, new AppliedIndex(ti.getTerm(), ti.getIndex()));
    } catch (RuntimeException e) {
      throw fail(ti, e);
    }
    updateLastAppliedTermIndex(ti.getTerm(), ti.getIndex());
    return CompletableFuture.completedFuture(RatisBytes.toMessage(result));
  }

  /**
   * Ratis calls this for applied entries that carry no state-machine data (configuration and
   * metadata entries). They advance the store's meta too (invariant 2).
   */
  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    try {
      store.apply(List.of(), new AppliedIndex(term, index));
    } catch (RuntimeException e) {
      throw fail(TermIndex.valueOf(term, index), e);
    }
    super.notifyTermIndexUpdated(term, index);
  }

  private RuntimeException fail(TermIndex ti, RuntimeException e) {
    failure = e;
    applyFailures.inc();
    LOG.error("shard {}: apply of {} failed; this replica stops applying (never skips an entry): {}",
        shard, ti, e.toString());
    return e;
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    try {
      RaftQuery query = RaftQuery.parseFrom(RatisBytes.view(request.getContent()));
      return CompletableFuture.completedFuture(
          RatisBytes.toMessage(executor.query(requireHealthy(), query)));
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The local store for stale reads; fails if this replica stopped on a store failure. */
  ShardStore requireHealthy() {
    Throwable f = failure;
    if (f != null) {
      throw new ShardFailedException("shard " + shard + " replica stopped after a store failure: " + f, f);
    }
    ShardStore s = store;
    if (s == null) {
      throw new ShardUnavailableException(shard, "replica is not initialized yet", null);
    }
    return s;
  }

  /** Durable applied index of the local store, or empty if unknown. */
  Optional<AppliedIndex> durableAppliedIndex() {
    ShardStore s = store;
    return s == null ? Optional.empty() : s.appliedIndex();
  }

  @Override
  public void close() throws IOException {
    ShardStore s = store;
    store = null;
    if (s != null) {
      s.close();
    }
    super.close();
  }
}
