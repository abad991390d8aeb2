package io.shardkv.raft.snapshot;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.shardkv.api.internal.v1.FetchSnapshotRequest;
import io.shardkv.api.internal.v1.SnapshotChunk;
import io.shardkv.api.internal.v1.SnapshotTransferGrpc;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves this node's latest snapshot artifact of a shard to a follower that must install it.
 * Streams the data file in chunks, honouring the receiver's flow control so a large artifact
 * never piles up in memory.
 */
public final class SnapshotTransferService extends SnapshotTransferGrpc.SnapshotTransferImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotTransferService.class);
  static final int CHUNK_BYTES = 1 << 20;

  private final String clusterId;
  private final IntFunction<Optional<SnapshotArtifact>> latestArtifact;
  private final IntConsumer produceFresh;

  /**
   * @param produceFresh asked to start a new artifact of a shard when a follower needs a newer
   *     one than this node has (a replica just added to the group, for instance); the follower
   *     retries until it is there
   */
  public SnapshotTransferService(String clusterId, IntFunction<Optional<SnapshotArtifact>> latestArtifact,
      IntConsumer produceFresh) {
    this.clusterId = clusterId;
    this.latestArtifact = latestArtifact;
    this.produceFresh = produceFresh;
  }

  @Override
  public void fetch(FetchSnapshotRequest request, StreamObserver<SnapshotChunk> observer) {
    if (!request.getClusterId().equals(clusterId)) {
      observer.onError(Status.FAILED_PRECONDITION.withDescription("this node belongs to cluster '"
          + clusterId + "', not '" + request.getClusterId() + "'").asRuntimeException());
      return;
    }
    Optional<SnapshotArtifact> artifact = latestArtifact.apply(request.getShard());
    if (artifact.isEmpty() || artifact.get().index().index() < request.getMinIndex()) {
      produceFresh.accept(request.getShard());
      observer.onError(Status.FAILED_PRECONDITION.withDescription("no snapshot of shard "
          + request.getShard() + " at or after index " + request.getMinIndex() + " here yet; retry")
          .asRuntimeException());
      return;
    }
    try {
      new ChunkPump((ServerCallStreamObserver<SnapshotChunk>) observer, artifact.get()).start();
    } catch (IOException e) {
      observer.onError(Status.UNAVAILABLE.withDescription("cannot read snapshot: " + e).asRuntimeException());
    }
  }

  /** Sends chunks whenever the transport is ready, until the file is done. */
  private static final class ChunkPump implements Runnable {
    private final ServerCallStreamObserver<SnapshotChunk> out;
    private final SnapshotArtifact artifact;
    private final InputStream in;
    private final long total;
    private final MessageDigest digest = SnapshotArtifacts.newSha256();
    private boolean first = true;
    private boolean done;

    ChunkPump(ServerCallStreamObserver<SnapshotChunk> out, SnapshotArtifact artifact) throws IOException {
      this.out = out;
      this.artifact = artifact;
      // Opened now: a retention sweep may delete the file later, the open handle still reads it.
      this.in = Files.newInputStream(artifact.dataFile());
      this.total = Files.size(artifact.dataFile());
    }

    void start() {
      out.setOnCancelHandler(this::closeQuietly);
      out.setOnReadyHandler(this);
      run();
    }

    @Override
    public synchronized void run() {
      try {
        while (!done && out.isReady()) {
          byte[] buf = in.readNBytes(CHUNK_BYTES);
          digest.update(buf);
          SnapshotChunk.Builder chunk = SnapshotChunk.newBuilder().setData(ByteString.copyFrom(buf));
          if (first) {
            chunk.setTerm(artifact.index().term()).setIndex(artifact.index().index()).setTotalBytes(total);
            first = false;
          }
          if (buf.length < CHUNK_BYTES) {
            chunk.setSha256(ByteString.copyFrom(digest.digest()));
            done = true;
          }
          out.onNext(chunk.build());
          if (done) {
            closeQuietly();
            out.onCompleted();
            LOG.info("sent snapshot {} ({} bytes)", artifact.index(), total);
          }
        }
      } catch (IOException | RuntimeException e) {
        done = true;
        closeQuietly();
        out.onError(Status.UNAVAILABLE.withDescription("snapshot send failed: " + e).asRuntimeException());
      }
    }

    private void closeQuietly() {
      try {
        in.close();
      } catch (IOException ignored) {
        // nothing left to do with a stream we are abandoning
      }
    }
  }
}
