package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.NodeStatus;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ShardStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Five node processes with replication factor 3 and 8 shards, as a user would run a cluster
 * that outgrew three machines: each shard has exactly three replicas, each node holds and leads
 * within one of its share, holds about 3/5 of the data, and answers for every key, including
 * the keys of shards it holds no replica of.
 */
class PlacementIT extends ClusterTest {
  private static final int NODES = 5;
  private static final int SHARDS = 8;
  private static final int KEYS = 500;

  @Test
  void fiveNodesReplicationFactorThreeSpreadReplicasLeadersAndDataAndEveryNodeServesEveryKey() throws Exception {
    cluster = new ProcessCluster(dir, NODES, "shards = " + SHARDS + "\nreplication-factor = 3\n"
        + "raft.leader-balance-interval = 1s");
    long t0 = System.nanoTime();
    cluster.startAll();
    phase("5 nodes serving", t0);
    Map<String, String> written = writeThroughEveryNode();
    phase(KEYS + " puts", t0);

    // Exactly three voters per shard, as the nodes that hold it report them.
    ClusterStatusResponse status = status(0);
    assertThat(status.getShardsList()).hasSize(SHARDS);
    Map<String, Integer> held = new TreeMap<>();
    for (ShardStatus s : status.getShardsList()) {
      assertThat(s.getReplicasList()).as("replicas of shard " + s.getShard()).hasSize(3).doesNotHaveDuplicates();
      s.getReplicasList().forEach(node -> held.merge(node, 1, Integer::sum));
    }
    double meanHeld = 3.0 * SHARDS / NODES;
    assertThat(held).hasSize(NODES);
    held.forEach((node, n) -> assertThat(Math.abs(n - meanHeld)).as(node + " holds " + n).isLessThanOrEqualTo(1.0));
    // The per-node view operators balance by says the same, and so does each node's gauge.
    for (NodeStatus node : status.getNodesList()) {
      assertThat(node.getReplicaShardsCount()).as(node.getNodeId()).isEqualTo(held.get(node.getNodeId()));
      int i = Integer.parseInt(node.getNodeId().substring(1)) - 1;
      assertThat(cluster.metric(i, "shardkv_node_replicas")).isEqualTo((double) held.get(node.getNodeId()));
    }

    // Leaders: the balancer moves each shard's leadership to its preferred replica.
    double meanLed = (double) SHARDS / NODES;
    Await.until(Duration.ofSeconds(60), "leaders per node within one of the mean", () -> {
      Map<String, Integer> led = leadersPerNode();
      return led.values().stream().mapToInt(i -> i).sum() == SHARDS
          && led.values().stream().allMatch(n -> Math.abs(n - meanLed) <= 1.0) && led.size() == NODES;
    });

    phase("leaders balanced", t0);
    // Every node has the same map, says so in its gauge, and tells each asker its version in the
    // shardkv-map-version header (how peers learn of a newer map from each other's answers).
    long mapVersion = status(0).getMapVersion();
    assertThat(mapVersion).isPositive();
    Await.until(Duration.ofSeconds(30), "every node on map version " + mapVersion, () -> {
      for (int i = 0; i < NODES; i++) {
        try {
          if (cluster.metric(i, "shardkv_cluster_map_version") != mapVersion || mapVersionHeader(i) != mapVersion) {
            return false;
          }
        } catch (java.io.IOException e) {
          return false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    });
    // Data: each node stores the shards it holds, about 3/5 of one copy of everything.
    double[] used = new double[NODES];
    double total = 0;
    for (int i = 0; i < NODES; i++) {
      used[i] = cluster.sumOverShards(i, "shardkv_store_used_bytes");
      total += used[i];
    }
    double oneCopy = total / 3;
    for (int i = 0; i < NODES; i++) {
      assertThat(used[i] / oneCopy).as("n" + (i + 1) + " LMDB bytes / one copy of the data")
          .isBetween(0.45, 0.75);
    }

    // Every node answers for keys of every shard, hosted there or not (one hop to a replica):
    // each node reads back a fifth of the keys with linearizable gets, in parallel, and every
    // shard has keys read through a node that holds no replica of it.
    List<Thread> readers = new ArrayList<>();
    List<Throwable> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Map.Entry<String, String>> entries = new ArrayList<>(written.entrySet());
    for (int node = 0; node < NODES; node++) {
      int i = node;
      Thread th = new Thread(() -> {
        for (int k = i; k < entries.size(); k += NODES) {
          var e = entries.get(k);
          try {
            String got = cluster.kv(i).withDeadlineAfter(10, TimeUnit.SECONDS)
                .get(GetRequest.newBuilder().setKey(bytes(e.getKey())).build()).getValue().toStringUtf8();
            if (!got.equals(e.getValue())) {
              wrong.add(new AssertionError(e.getKey() + " through n" + (i + 1) + ": " + got));
            }
          } catch (RuntimeException ex) {
            wrong.add(ex);
          }
        }
      }, "placement-reader-" + node);
      th.start();
      readers.add(th);
    }
    for (Thread th : readers) {
      th.join();
    }
    assertThat(wrong).as("every key read back through the node assigned to it").isEmpty();
    Map<Integer, Integer> readThroughNonHolder = new TreeMap<>();
    for (int k = 0; k < entries.size(); k++) {
      int shard = Keys.shardOf(entries.get(k).getKey(), SHARDS);
      if (!status.getShards(shard).getReplicasList().contains("n" + (k % NODES + 1))) {
        readThroughNonHolder.merge(shard, 1, Integer::sum);
      }
    }
    assertThat(readThroughNonHolder.keySet()).as("shards read through a node holding no replica of them")
        .hasSize(SHARDS);
    phase("every key read back", t0);
  }

  private static void phase(String what, long t0) {
    System.out.printf("PlacementIT: %s after %d ms%n", what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  /** Puts KEYS keys with 1 KiB values, each through the next node in turn, 8 writers at once. */
  private Map<String, String> writeThroughEveryNode() throws InterruptedException {
    Map<String, String> written = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicInteger next = new AtomicInteger();
    List<Thread> writers = new ArrayList<>();
    String pad = "x".repeat(1000);
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread th = new Thread(() -> {
        for (int k = next.getAndIncrement(); k < KEYS; k = next.getAndIncrement()) {
          String key = "placed-" + k;
          String value = k + pad;
          try {
            cluster.kv(k % NODES).withDeadlineAfter(30, TimeUnit.SECONDS)
                .put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build());
            written.put(key, value);
          } catch (StatusRuntimeException e) {
            failures.add(e);
          }
        }
      }, "placement-writer-" + t);
      th.start();
      writers.add(th);
    }
    for (Thread th : writers) {
      th.join();
    }
    assertThat(failures).as("every put through every node acknowledged").isEmpty();
    assertThat(written).hasSize(KEYS);
    return written;
  }

  /** The shardkv-map-version header of node {@code node}'s answer to a health check. */
  private long mapVersionHeader(int node) {
    java.util.concurrent.atomic.AtomicReference<io.grpc.Metadata> headers = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicReference<io.grpc.Metadata> trailers = new java.util.concurrent.atomic.AtomicReference<>();
    io.grpc.health.v1.HealthGrpc.newBlockingStub(cluster.channel(node))
        .withInterceptors(io.grpc.stub.MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
        .withDeadlineAfter(10, TimeUnit.SECONDS).check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
    String v = headers.get().get(io.grpc.Metadata.Key.of("shardkv-map-version", io.grpc.Metadata.ASCII_STRING_MARSHALLER));
    return v == null ? -1 : Long.parseLong(v);
  }

  private ClusterStatusResponse status(int node) {
    return AdminGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance());
  }

  /** Leaderships per node, as ClusterStatus of one node reports them (nodes[].leader_shards). */
  private Map<String, Integer> leadersPerNode() {
    Map<String, Integer> led = new TreeMap<>();
    for (NodeStatus node : status(NODES - 1).getNodesList()) {
      if (node.getLeaderShardsCount() > 0) {
        led.put(node.getNodeId(), node.getLeaderShardsCount());
      }
    }
    return led;
  }
}
