package io.shardkv.raft.snapshot;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.CrashPoints;
import io.shardkv.store.StoreClosedException;
import io.shardkv.store.StoreDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes snapshots of one shard without stalling its applies.
 *
 * <p>Ratis calls {@code takeSnapshot()} on the apply thread, and a compacted copy of a large
 * store takes seconds. So the copy runs in the background, from an LMDB read transaction, while
 * applies continue; {@link #takeSnapshot} only starts one when due and reports the newest
 * <em>completed</em> artifact. Ratis therefore purges its log only up to an artifact that exists
 * on disk and that the live store has durably reached.
 *
 * <p>Each artifact follows bump-before-save (DESIGN invariant 4): copy, then pin the live store
 * at the copy's index (meta >= N, fsync), then save (checksum, rename); a failed pin leaves no
 * artifact.
 */
public final class ShardSnapshotter {
  private static final Logger LOG = LoggerFactory.getLogger(ShardSnapshotter.class);

  private final int shard;
  private final SnapshotSource source;
  private final ArtifactStore artifacts;
  private final Executor copier;
  private final CrashPoints crashPoints;
  private final Timer duration;
  private volatile SnapshotArtifact completed;
  private CompletableFuture<SnapshotArtifact> inFlight = CompletableFuture.completedFuture(null);

  public ShardSnapshotter(int shard, SnapshotSource source, ArtifactStore artifacts, Executor copier,
      CrashPoints crashPoints, MetricRegistry metrics) throws IOException {
    this.shard = shard;
    this.source = source;
    this.artifacts = artifacts;
    this.copier = copier;
    this.crashPoints = crashPoints;
    this.duration = metrics.timer(MetricNames.snapshotSeconds(shard));
    this.completed = artifacts.latest().orElse(null);
  }

  /**
   * Ratis's snapshot hook: starts a background artifact if the store has moved past the newest
   * one and none is in progress, and returns the newest completed artifact's index (or -1).
   */
  public synchronized long takeSnapshot(AppliedIndex applied) {
    SnapshotArtifact done = completed;
    if (inFlight.isDone() && (done == null || applied.index() > done.index().index())) {
      inFlight = CompletableFuture.supplyAsync(this::produce, copier);
    }
    return done == null ? -1 : done.index().index();
  }

  /** Produces an artifact now (admin-triggered) and completes when it is saved. */
  public synchronized CompletableFuture<SnapshotArtifact> snapshotNow() {
    if (inFlight.isDone()) {
      inFlight = CompletableFuture.supplyAsync(this::produce, copier);
      return inFlight;
    }
    // One copy at a time: chain a fresh one after the running copy.
    CompletableFuture<SnapshotArtifact> next = inFlight.handle((a, e) -> null)
        .thenApplyAsync(ignored -> produce(), copier);
    inFlight = next;
    return next;
  }

  /** The newest artifact that is complete on disk. */
  public Optional<SnapshotArtifact> completed() {
    return Optional.ofNullable(completed);
  }

  /** Forgets the completed artifact in favour of one installed from the leader. */
  public void installed(SnapshotArtifact artifact) {
    completed = artifact;
  }

  private SnapshotArtifact produce() {
    Path staging = null;
    try (Timer.Context ignored = duration.time()) {
      long start = System.nanoTime();
      staging = artifacts.newStagingDir();
      source.copyCompactedTo(staging);
      AppliedIndex at = source.indexOfCopy(staging);
      source.pinAt(at); // throws on a failed flush: no artifact without a durable store behind it
      crashPoints.reached(CrashPoints.AFTER_PIN_BEFORE_RENAME);
      SnapshotArtifact artifact = artifacts.save(at, staging);
      staging = null;
      crashPoints.reached(CrashPoints.AFTER_RENAME_BEFORE_REPORT);
      completed = artifact;
      artifacts.retain();
      LOG.info("shard {}: snapshot taken at {}: {} bytes in {} ms", shard, at,
          Files.size(artifact.dataFile()), (System.nanoTime() - start) / 1_000_000);
      return artifact;
    } catch (IOException | RuntimeException e) {
      if (e instanceof StoreClosedException) {
        LOG.info("shard {}: snapshot abandoned: {}", shard, e.getMessage());
      } else {
        LOG.error("shard {}: snapshot aborted: {}", shard, e.toString());
      }
      if (staging != null) {
        try {
          StoreDirectory.deleteRecursively(staging);
        } catch (IOException cleanup) {
          LOG.warn("shard {}: could not remove {}: {}", shard, staging, cleanup.toString());
        }
      }
      throw new IllegalStateException("shard " + shard + ": snapshot aborted: " + e.getMessage(), e);
    }
  }
}
