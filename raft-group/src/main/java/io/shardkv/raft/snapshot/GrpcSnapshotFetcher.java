package io.shardkv.raft.snapshot;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.internal.v1.FetchSnapshotRequest;
import io.shardkv.api.internal.v1.SnapshotChunk;
import io.shardkv.api.internal.v1.SnapshotTransferGrpc;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.store.AppliedIndex;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Fetches artifacts over {@link SnapshotTransferService} from the node that has them. */
public final class GrpcSnapshotFetcher implements SnapshotFetcher {
  private final String clusterId;
  private final Function<String, Channel> channelToNode;
  private final long deadlineSeconds;
  private final com.codahale.metrics.Counter received;

  /**
   * @param channelToNode a channel to a node's client port, by node id
   * @param deadlineSeconds bound on one whole transfer
   * @param metrics where the bytes received are counted (the bytes a replica move sends)
   */
  public GrpcSnapshotFetcher(String clusterId, Function<String, Channel> channelToNode, long deadlineSeconds,
      com.codahale.metrics.MetricRegistry metrics) {
    this.clusterId = clusterId;
    this.channelToNode = channelToNode;
    this.deadlineSeconds = deadlineSeconds;
    this.received = metrics.counter(MetricNames.snapshotReceivedBytes());
  }

  @Override
  public AppliedIndex fetch(String fromNode, int shard, long minIndex, Path target) throws IOException {
    var stub = SnapshotTransferGrpc.newBlockingStub(channelToNode.apply(fromNode))
        .withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS);
    FetchSnapshotRequest request = FetchSnapshotRequest.newBuilder()
        .setClusterId(clusterId).setShard(shard).setMinIndex(Math.max(0, minIndex)).build();
    MessageDigest digest = SnapshotArtifacts.newSha256();
    AppliedIndex index = null;
    long expected = -1;
    long written = 0;
    byte[] sha = null;
    try (OutputStream out = Files.newOutputStream(target)) {
      Iterator<SnapshotChunk> chunks = stub.fetch(request);
      while (chunks.hasNext()) {
        SnapshotChunk chunk = chunks.next();
        if (index == null) {
          index = new AppliedIndex(chunk.getTerm(), chunk.getIndex());
          expected = chunk.getTotalBytes();
        }
        chunk.getData().writeTo(out);
        digest.update(chunk.getData().asReadOnlyByteBuffer());
        written += chunk.getData().size();
        received.inc(chunk.getData().size());
        if (!chunk.getSha256().isEmpty()) {
          sha = chunk.getSha256().toByteArray();
        }
      }
    } catch (StatusRuntimeException e) {
      throw new IOException("snapshot of shard " + shard + " from " + fromNode + ": " + e.getStatus(), e);
    }
    if (index == null || sha == null || written != expected || !Arrays.equals(sha, digest.digest())) {
      throw new IOException("snapshot of shard " + shard + " from " + fromNode + " arrived incomplete or"
          + " corrupt (" + written + " of " + expected + " bytes)");
    }
    if (index.index() < minIndex) {
      throw new IOException("snapshot from " + fromNode + " is at " + index + ", below the needed " + minIndex);
    }
    return index;
  }
}
