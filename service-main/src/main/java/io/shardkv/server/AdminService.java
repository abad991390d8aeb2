package io.shardkv.server;

import io.grpc.stub.StreamObserver;
import io.shardkv.api.v1.AddNodeRequest;
import io.shardkv.api.v1.AddNodeResponse;
import io.shardkv.api.v1.AddReplicaRequest;
import io.shardkv.api.v1.AddReplicaResponse;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.DrainNodeRequest;
import io.shardkv.api.v1.DrainNodeResponse;
import io.shardkv.api.v1.RemoveNodeRequest;
import io.shardkv.api.v1.RemoveNodeResponse;
import io.shardkv.api.v1.RemoveReplicaRequest;
import io.shardkv.api.v1.RemoveReplicaResponse;
import io.shardkv.api.v1.ReplicaVerification;
import io.shardkv.api.v1.ShardSnapshot;
import io.shardkv.api.v1.ShardVerification;
import io.shardkv.api.v1.TakeSnapshotRequest;
import io.shardkv.api.v1.TakeSnapshotResponse;
import io.shardkv.api.v1.TransferLeaderRequest;
import io.shardkv.api.v1.TransferLeaderResponse;
import io.shardkv.api.v1.UndrainNodeRequest;
import io.shardkv.api.v1.UndrainNodeResponse;
import io.shardkv.api.v1.VerifyShardRequest;
import io.shardkv.api.v1.VerifyShardResponse;
import io.shardkv.control.ControlPlane;
import io.shardkv.raft.host.ShardGroupHost;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.AppliedIndexReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

/**
 * The operator service {@code shardkv.v1.Admin} (contract in admin.proto). Who may call what is
 * decided by {@link AdminAuthInterceptor}; this class only does the work: the shard calls
 * itself, ClusterStatus through {@link ClusterStatusReport}, and the calls that change who is
 * in the cluster through {@link MembershipAdmin}.
 */
final class AdminService extends AdminGrpc.AdminImplBase {
  private final ShardkvConfig config;
  private final ShardGroupHost host;
  private final ClusterStatusReport status;
  private final MembershipAdmin membership;

  AdminService(ShardkvConfig config, ShardGroupHost host, ControlPlane controlPlane, PeerChannels peers,
      AppliedIndexReader minApplied, BooleanSupplier selfServing) {
    this.config = config;
    this.host = host;
    this.status = new ClusterStatusReport(config, host, controlPlane, peers, minApplied, selfServing);
    this.membership = new MembershipAdmin(config.shards(), host, controlPlane);
  }

  @Override
  public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
    respond(out, status::build);
  }

  /** Answers a unary call with what {@code work} returns, or its failure mapped to a status. */
  private static <T> void respond(StreamObserver<T> out, Callable<T> work) {
    T answer;
    try {
      answer = work.call();
    } catch (Exception e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    out.onNext(answer);
    out.onCompleted();
  }

  @Override
  public void takeSnapshot(TakeSnapshotRequest request, StreamObserver<TakeSnapshotResponse> out) {
    List<Integer> shards;
    try {
      // all: the replicas this node holds, since snapshots are per replica.
      shards = requestedShards(request.getAll(), request.getShard(), host.hostedShards());
    } catch (IllegalArgumentException e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    List<CompletableFuture<ShardSnapshot>> taken = new ArrayList<>();
    for (int shard : shards) {
      taken.add(host.takeSnapshot(shard).thenApply(at -> ShardSnapshot.newBuilder()
          .setShard(shard).setIndex(at.index()).setTerm(at.term()).build()));
    }
    CompletableFuture.allOf(taken.toArray(CompletableFuture[]::new)).whenComplete((ignored, e) -> {
      if (e != null) {
        out.onError(StatusMapper.toStatus(e));
        return;
      }
      TakeSnapshotResponse.Builder b = TakeSnapshotResponse.newBuilder();
      taken.forEach(f -> b.addSnapshots(f.join()));
      out.onNext(b.build());
      out.onCompleted();
    });
  }

  @Override
  public void transferLeader(TransferLeaderRequest request, StreamObserver<TransferLeaderResponse> out) {
    respond(out, () -> {
      requireNode(request.getToNode(), "to_node");
      String leader = host.administration().transferLeader(request.getShard(), request.getToNode());
      return TransferLeaderResponse.newBuilder().setLeader(leader).build();
    });
  }

  @Override
  public void addReplica(AddReplicaRequest request, StreamObserver<AddReplicaResponse> out) {
    respond(out, () -> {
      requireNode(request.getNodeId(), "node_id");
      List<String> replicas = host.administration().addReplica(request.getShard(), request.getNodeId());
      return AddReplicaResponse.newBuilder().addAllReplicas(replicas).build();
    });
  }

  @Override
  public void verifyShard(VerifyShardRequest request, StreamObserver<VerifyShardResponse> out) {
    respond(out, () -> {
      List<Integer> shards = requestedShards(request.getAll(), request.getShard(),
          IntStream.range(0, config.shards()).boxed().toList());
      VerifyShardResponse.Builder b = VerifyShardResponse.newBuilder();
      for (io.shardkv.raft.health.ShardVerification v : host.verify(shards)) {
        b.addShards(toProto(v));
      }
      return b.build();
    });
  }

  private static ShardVerification toProto(io.shardkv.raft.health.ShardVerification v) {
    ShardVerification.Builder b = ShardVerification.newBuilder()
        .setShard(v.shard()).setResult(v.result().label()).setDetail(v.detail())
        .setComparedIndex(v.comparedAt().map(AppliedIndex::index).orElse(-1L))
        .setComparedTerm(v.comparedAt().map(AppliedIndex::term).orElse(-1L));
    for (io.shardkv.raft.health.ShardVerification.Replica r : v.replicas()) {
      b.addReplicas(ReplicaVerification.newBuilder()
          .setNodeId(r.node()).setState(r.state().label())
          .setDigest(r.digest().map(d -> d.hex()).orElse(""))
          .setPairs(r.digest().map(d -> d.pairs()).orElse(-1L))
          .setNewestIndex(r.newest().map(AppliedIndex::index).orElse(-1L))
          .setFailure(r.failure().orElse("")));
    }
    return b.build();
  }

  @Override
  public void removeReplica(RemoveReplicaRequest request, StreamObserver<RemoveReplicaResponse> out) {
    respond(out, () -> {
      requireNode(request.getNodeId(), "node_id");
      List<String> replicas = host.administration().removeReplica(request.getShard(), request.getNodeId());
      return RemoveReplicaResponse.newBuilder().addAllReplicas(replicas).build();
    });
  }

  @Override
  public void drainNode(DrainNodeRequest request, StreamObserver<DrainNodeResponse> out) {
    respond(out, () -> membership.drainNode(request));
  }

  @Override
  public void addNode(AddNodeRequest request, StreamObserver<AddNodeResponse> out) {
    respond(out, () -> membership.addNode(request));
  }

  @Override
  public void removeNode(RemoveNodeRequest request, StreamObserver<RemoveNodeResponse> out) {
    respond(out, () -> membership.removeNode(request));
  }

  @Override
  public void undrainNode(UndrainNodeRequest request, StreamObserver<UndrainNodeResponse> out) {
    respond(out, () -> membership.undrainNode(request));
  }

  /** The shards a request with {@code all} and {@code shard} fields names: {@code allShards}, or the one in range. */
  private List<Integer> requestedShards(boolean all, int shard, List<Integer> allShards) {
    if (all) {
      return allShards;
    }
    if (shard < 0 || shard >= config.shards()) {
      throw new IllegalArgumentException(
          "shard must be in [0, " + config.shards() + "), got " + shard + " (or set all=true)");
    }
    return List.of(shard);
  }

  static void requireNode(String nodeId, String field) {
    if (nodeId.isEmpty()) {
      throw new IllegalArgumentException(field + " is required (a node id from ClusterStatus)");
    }
  }
}
