package io.shardkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.GetQuery;
import io.shardkv.api.raft.v1.MutationList;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.StoreMutation;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.LmdbStoreConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three hosts in one JVM on loopback: replication, routing to the leader, restart with replay. */
class ShardGroupHostTest {
  private static final int SHARDS = 2;
  @TempDir Path dir;
  private final List<ShardGroupHost> hosts = new ArrayList<>();
  private List<PeerAddress> peers;

  @AfterEach
  void closeAll() {
    hosts.forEach(h -> {
      if (h != null) {
        h.close();
      }
    });
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private ShardGroupHost startHost(int i) throws IOException {
    GroupHostConfig config = new GroupHostConfig("test", "n" + i, peers, SHARDS,
        dir.resolve("n" + i), LmdbStoreConfig.defaults(), Duration.ofSeconds(10));
    ShardGroupHost host = new ShardGroupHost(config, new MetricRegistry());
    host.start();
    return host;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static RaftCommand put(String key, String value) {
    return RaftCommand.newBuilder().setMutations(MutationList.newBuilder().addMutations(
        StoreMutation.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value))))
        .build();
  }

  private static RaftQuery get(String key) {
    return RaftQuery.newBuilder().setGet(GetQuery.newBuilder().setKey(ByteString.copyFromUtf8(key))).build();
  }

  @Test
  void replicatesEveryShardAndReplaysOnlyWhatTheStoreLacksAfterRestart() throws Exception {
    peers = List.of(new PeerAddress("n1", "127.0.0.1", freePort()),
        new PeerAddress("n2", "127.0.0.1", freePort()),
        new PeerAddress("n3", "127.0.0.1", freePort()));
    for (int i = 1; i <= 3; i++) {
      hosts.add(startHost(i));
    }
    for (ShardGroupHost h : hosts) {
      await("caught up", h::caughtUp);
    }

    for (int shard = 0; shard < SHARDS; shard++) {
      long index = hosts.get(0).client().submit(shard, put("k" + shard, "v" + shard)).get().getIndex();
      assertThat(index).isPositive();
    }
    for (int shard = 0; shard < SHARDS; shard++) {
      // A linearizable read through another node sees the acknowledged write.
      var result = hosts.get(1).client().query(shard, get("k" + shard), ReadConsistency.LINEARIZABLE).get();
      assertThat(result.getGet().getValue().toStringUtf8()).isEqualTo("v" + shard);
      int s = shard;
      await("stale read on n3", () -> hosts.get(2).client().query(s, get("k" + s), ReadConsistency.STALE)
          .join().getGet().getValue().toStringUtf8().equals("v" + s));
    }

    AppliedIndex before = hosts.get(2).appliedIndexReaders().get(0).appliedIndex().orElseThrow();
    hosts.get(2).close();
    hosts.get(0).client().submit(0, put("k0", "after")).get();
    hosts.set(2, startHost(3));
    await("n3 caught up", hosts.get(2)::caughtUp);
    await("n3 applied the write made while it was down", () -> hosts.get(2).client()
        .query(0, get("k0"), ReadConsistency.STALE).join().getGet().getValue().toStringUtf8().equals("after"));
    assertThat(hosts.get(2).appliedIndexReaders().get(0).appliedIndex().orElseThrow().index())
        .isGreaterThan(before.index());
  }
}
