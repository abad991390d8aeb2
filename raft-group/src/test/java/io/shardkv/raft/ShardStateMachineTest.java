package io.shardkv.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.GetQuery;
import io.shardkv.api.raft.v1.MutationList;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.api.raft.v1.StoreMutation;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ApplyOutcome;
import io.shardkv.store.InMemoryShardStore;
import io.shardkv.store.ScanPage;
import io.shardkv.store.ShardStore;
import io.shardkv.store.StoreException;
import io.shardkv.store.StoreOp;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.LogProtoUtils;
import org.apache.ratis.statemachine.TransactionContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ShardStateMachineTest {
  private final MetricRegistry metrics = new MetricRegistry();
  private InMemoryShardStore store;
  private ShardStateMachine sm;

  @BeforeEach
  void setUp() throws Exception {
    store = new InMemoryShardStore();
    sm = new ShardStateMachine(0, shard -> store, metrics);
    sm.initialize(fakeServer(), RaftGroupId.randomId(), null);
  }

  /** BaseStateMachine only asks the server for its id (in toString); nothing else is used. */
  private static RaftServer fakeServer() {
    return (RaftServer) Proxy.newProxyInstance(RaftServer.class.getClassLoader(),
        new Class<?>[] {RaftServer.class}, (proxy, method, args) -> {
          if (method.getName().equals("getId")) {
            return RaftPeerId.valueOf("n1");
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  private static RaftCommand put(String key, String value) {
    return RaftCommand.newBuilder().setMutations(MutationList.newBuilder().addMutations(
        StoreMutation.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value))))
        .build();
  }

  private RaftCommandResult apply(RaftCommand command, long term, long index) throws Exception {
    StateMachineLogEntryProto smEntry = StateMachineLogEntryProto.newBuilder()
        .setLogData(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(command.toByteArray()))
        .build();
    TransactionContext trx = TransactionContext.newBuilder()
        .setServerRole(RaftPeerRole.FOLLOWER)
        .setStateMachine(sm)
        .setLogEntry(LogProtoUtils.toLogEntryProto(smEntry, term, index))
        .build();
    Message reply = sm.applyTransaction(trx).get();
    return RaftCommandResult.parseFrom(reply.getContent().toByteArray());
  }

  @Test
  void appliesCommandsAndAnswersQueriesFromTheStore() throws Exception {
    RaftCommandResult result = apply(put("k", "v"), 1, 1);

    assertThat(result.getIndex()).isEqualTo(1);
    assertThat(store.get("k".getBytes())).contains("v".getBytes());
    RaftQuery get = RaftQuery.newBuilder().setGet(GetQuery.newBuilder().setKey(ByteString.copyFromUtf8("k"))).build();
    Message answer = sm.query(Message.valueOf(
        org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(get.toByteArray()))).get();
    assertThat(RaftQueryResult.parseFrom(answer.getContent().toByteArray()).getGet().getValue().toStringUtf8())
        .isEqualTo("v");
    assertThat(sm.getLastAppliedTermIndex().getIndex()).isEqualTo(1);
  }

  @Test
  void invariant2_everyAppliedEntryAdvancesMeta_configurationAndMetadataEntries() throws Exception {
    apply(put("k", "v"), 1, 1);
    sm.notifyTermIndexUpdated(2, 2); // e.g. the new leader's configuration entry

    assertThat(store.appliedIndex()).contains(new AppliedIndex(2, 2));
    assertThat(sm.getLastAppliedTermIndex().getIndex()).isEqualTo(2);
    assertThat(sm.durableAppliedIndex()).contains(new AppliedIndex(2, 2));
  }

  @Test
  void invariant3_monotonic_entriesReplayedAfterRestartAreNotReapplied() throws Exception {
    // The store already holds everything up to index 5 (it survived the restart); a fresh
    // state machine over it replays the log from the start.
    store.apply(List.of(new StoreOp.Put("k".getBytes(), "at5".getBytes())), new AppliedIndex(1, 5));

    RaftCommandResult replayed = apply(put("k", "at4"), 1, 4);
    apply(put("k", "at5-again"), 1, 5);
    apply(put("k", "at6"), 1, 6);

    assertThat(replayed.getResultCase()).isEqualTo(RaftCommandResult.ResultCase.RESULT_NOT_SET);
    assertThat(store.get("k".getBytes())).contains("at6".getBytes());
    assertThat(store.appliedIndex()).contains(new AppliedIndex(1, 6));
    assertThat(sm.getLastAppliedTermIndex().getIndex()).isEqualTo(6);
  }

  @Test
  void invariant8_neverSkipAnEntry_storeFailureStopsTheReplica() throws Exception {
    FailingStore failing = new FailingStore(store);
    ShardStateMachine failingSm = new ShardStateMachine(3, shard -> failing, metrics);
    failingSm.initialize(fakeServer(), RaftGroupId.randomId(), null);
    sm = failingSm;
    apply(put("a", "1"), 1, 1);

    failing.failNext = true;
    assertThatThrownBy(() -> apply(put("b", "2"), 1, 2)).isInstanceOf(StoreException.class);

    // The meta stays at the last entry really applied; the replica refuses stale reads and
    // Ratis (which sees the exception) stops applying this group.
    assertThat(store.appliedIndex()).contains(new AppliedIndex(1, 1));
    assertThat(failingSm.getLastAppliedTermIndex().getIndex()).isEqualTo(1);
    assertThatThrownBy(failingSm::requireHealthy).isInstanceOf(ShardFailedException.class);
    assertThat(metrics.counter(MetricNames.applyFailures(3)).getCount()).isEqualTo(1);
  }

  /** Delegates to a real fake but fails one apply on demand, like a full disk would. */
  private static final class FailingStore implements ShardStore {
    private final ShardStore delegate;
    boolean failNext;

    FailingStore(ShardStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public ApplyOutcome apply(List<StoreOp> ops, AppliedIndex at) {
      if (failNext) {
        failNext = false;
        throw new StoreException("simulated: no space left on device");
      }
      return delegate.apply(ops, at);
    }

    @Override
    public Optional<byte[]> get(byte[] key) {
      return delegate.get(key);
    }

    @Override
    public ScanPage scan(byte[] start, byte[] end, int limit) {
      return delegate.scan(start, end, limit);
    }

    @Override
    public Optional<AppliedIndex> appliedIndex() {
      return delegate.appliedIndex();
    }

    @Override
    public void close() {}
  }
}
