package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.raft.client.InMemoryShardGroupClient;
import io.shardkv.raft.client.ReadConsistency;
import io.shardkv.raft.client.ShardFailedException;
import io.shardkv.raft.client.ShardGroupClient;
import io.shardkv.raft.client.ShardUnavailableException;
import io.shardkv.router.KvRouter;
import io.shardkv.router.ShardMap;
import io.shardkv.server.ShardkvConfig.Limits;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The KV service end to end over in-process gRPC: results and the status of each failure. */
class KvServiceTest {
  private Server server;
  private ManagedChannel channel;

  private KVGrpc.KVBlockingStub serve(ShardGroupClient groups) throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new KvService(new RequestValidator(new Limits(1 << 20, 1000, 10_000), 511),
            new KvRouter(groups, new ShardMap(groups.shardCount()))))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return KVGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  private static ByteString s(String v) {
    return ByteString.copyFromUtf8(v);
  }

  @Test
  void putThenGet() throws Exception {
    var kv = serve(new InMemoryShardGroupClient(4));
    kv.put(PutRequest.newBuilder().setKey(s("k")).setValue(s("v")).build());
    var got = kv.get(GetRequest.newBuilder().setKey(s("k")).build());
    assertThat(got.getFound()).isTrue();
    assertThat(got.getValue()).isEqualTo(s("v"));
  }

  @Test
  void badInputIsInvalidArgumentAndNeverReachesTheGroups() throws Exception {
    InMemoryShardGroupClient groups = new InMemoryShardGroupClient(4);
    var kv = serve(groups);
    assertThatThrownBy(() -> kv.put(PutRequest.newBuilder().setValue(s("v")).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    for (int shard = 0; shard < 4; shard++) {
      assertThat(groups.store(shard).appliedIndex()).as("nothing applied on shard %d", shard).isEmpty();
    }
  }

  @Test
  void crossShardBatchIsFailedPreconditionNamingTheShards() throws Exception {
    var kv = serve(new InMemoryShardGroupClient(4));
    ShardMap map = new ShardMap(4);
    String a = "a";
    String b = "b";
    for (int i = 0; map.shardOf(b.getBytes()) == map.shardOf(a.getBytes()); i++) {
      b = "b" + i;
    }
    BatchRequest batch = BatchRequest.newBuilder()
        .addMutations(Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(s(a)).setValue(s("1"))))
        .addMutations(Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(s(b)).setValue(s("2"))))
        .build();
    assertThatThrownBy(() -> kv.batch(batch)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(e.getStatus().getDescription()).contains("shards");
    });
  }

  @Test
  void noLeaderIsUnavailableWithARetryHint() throws Exception {
    var kv = serve(failing(() -> new ShardUnavailableException(0, "no leader", null)));
    assertThatThrownBy(() -> kv.put(PutRequest.newBuilder().setKey(s("k")).setValue(s("v")).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).contains("retry");
          com.google.rpc.Status details = StatusProto.fromThrowable(e);
          assertThat(details).isNotNull();
          assertThat(details.getDetailsList()).anySatisfy(any -> {
            assertThat(any.is(RetryInfo.class)).isTrue();
            try {
              assertThat(any.unpack(RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(1);
            } catch (Exception ex) {
              throw new AssertionError(ex);
            }
          });
        });
  }

  @Test
  void aStoppedReplicaIsUnavailable() throws Exception {
    var kv = serve(failing(() -> new ShardFailedException("shard 0 stopped: disk full", null)));
    assertThatThrownBy(() -> kv.get(GetRequest.newBuilder().setKey(s("k")).setStale(true).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  private static ShardGroupClient failing(Supplier<RuntimeException> error) {
    return new ShardGroupClient() {
      @Override
      public int shardCount() {
        return 4;
      }

      @Override
      public CompletableFuture<RaftCommandResult> submit(int shard, RaftCommand command) {
        return CompletableFuture.failedFuture(error.get());
      }

      @Override
      public CompletableFuture<RaftQueryResult> query(int shard, RaftQuery query, ReadConsistency consistency) {
        return CompletableFuture.failedFuture(error.get());
      }
    };
  }
}
