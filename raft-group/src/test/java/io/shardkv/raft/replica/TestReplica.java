package io.shardkv.raft.replica;

import com.codahale.metrics.MetricRegistry;
import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.MutationList;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.StoreMutation;
import io.shardkv.raft.snapshot.SnapshotFetcher;
import io.shardkv.store.CrashPoints;
import io.shardkv.store.LmdbStoreConfig;
import java.io.File;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.LogProtoUtils;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.server.storage.RaftStorageDirectory;
import org.apache.ratis.statemachine.TransactionContext;

/**
 * One shard replica's state machine over real LMDB files in a temp dir, driven the way Ratis
 * drives it (initialize, apply, snapshot, close) but without a Ratis server, so restarts and
 * damaged files can be set up precisely.
 */
final class TestReplica {
  final Path storeRoot;
  final Path raftDir;
  final LmdbStoreConfig storeConfig;
  final MetricRegistry metrics = new MetricRegistry();
  ShardStateMachine sm;

  TestReplica(Path root, LmdbStoreConfig storeConfig) {
    this.storeRoot = root.resolve("shards/0");
    this.raftDir = root.resolve("raft/group");
    this.storeConfig = storeConfig;
  }

  TestReplica(Path root) {
    this(root, LmdbStoreConfig.defaults());
  }

  Path smDir() {
    return raftDir.resolve("sm");
  }

  ShardStateMachine start() throws Exception {
    ReplicaSettings settings = new ReplicaSettings(storeRoot, storeConfig, 2, CrashPoints.disabled());
    sm = new ShardStateMachine(0, settings, SnapshotFetcher.unavailable(), Runnable::run, metrics);
    sm.initialize(fakeServer(), RaftGroupId.randomId(), fakeStorage(raftDir.toFile()));
    return sm;
  }

  void stop() throws Exception {
    if (sm != null) {
      sm.close();
      sm = null;
    }
  }

  static RaftCommand put(String key, String value) {
    return RaftCommand.newBuilder().setMutations(MutationList.newBuilder().addMutations(
        StoreMutation.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value))))
        .build();
  }

  RaftCommandResult apply(RaftCommand command, long term, long index) throws Exception {
    StateMachineLogEntryProto smEntry = StateMachineLogEntryProto.newBuilder()
        .setLogData(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(command.toByteArray()))
        .build();
    TransactionContext trx = TransactionContext.newBuilder()
        .setServerRole(RaftPeerRole.FOLLOWER)
        .setStateMachine(sm)
        .setLogEntry(LogProtoUtils.toLogEntryProto(smEntry, term, index))
        .build();
    Message reply;
    try {
      reply = sm.applyTransaction(trx).get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e; // as the store threw it
    }
    return RaftCommandResult.parseFrom(reply.getContent().toByteArray());
  }

  /** BaseStateMachine only asks the server for its id (in toString); nothing else is used. */
  static RaftServer fakeServer() {
    return (RaftServer) Proxy.newProxyInstance(RaftServer.class.getClassLoader(),
        new Class<?>[] {RaftServer.class}, (proxy, method, args) -> {
          if (method.getName().equals("getId")) {
            return RaftPeerId.valueOf("n1");
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  /** The state machine only asks the storage for its state-machine directory. */
  static RaftStorage fakeStorage(File groupDir) {
    RaftStorageDirectory dir = (RaftStorageDirectory) Proxy.newProxyInstance(
        RaftStorageDirectory.class.getClassLoader(), new Class<?>[] {RaftStorageDirectory.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getRoot" -> groupDir;
          case "getStateMachineDir" -> new File(groupDir, "sm");
          default -> throw new UnsupportedOperationException(method.getName());
        });
    return (RaftStorage) Proxy.newProxyInstance(RaftStorage.class.getClassLoader(),
        new Class<?>[] {RaftStorage.class}, (proxy, method, args) -> {
          if (method.getName().equals("getStorageDir")) {
            return dir;
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }
}
