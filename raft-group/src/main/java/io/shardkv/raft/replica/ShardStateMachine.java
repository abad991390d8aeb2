package io.shardkv.raft.replica;

import static io.shardkv.raft.replica.ReplicaStore.toAppliedIndex;
import static io.shardkv.raft.replica.ReplicaStore.toTermIndex;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.raft.client.ShardFailedException;
import io.shardkv.raft.client.ShardUnavailableException;
import io.shardkv.raft.coldstart.ColdStartDecision;
import io.shardkv.raft.coldstart.ColdStartGate;
import io.shardkv.raft.coldstart.ColdStartReport;
import io.shardkv.raft.command.ShardCommandExecutor;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.ratis.RatisBytes;
import io.shardkv.raft.snapshot.ShardSnapshotter;
import io.shardkv.raft.snapshot.SnapshotArtifact;
import io.shardkv.raft.snapshot.SnapshotFetcher;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.LmdbShardStore;
import io.shardkv.store.ScrubPacer;
import io.shardkv.store.ScrubResult;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of one shard replica: applies each committed entry to the shard's
 * LMDB store in one write transaction together with the entry's {@code (term, index)}.
 *
 * <p>Committed entries go, in log order, to a {@link GroupCommitApplier}, the store's single
 * writer, which commits runs of them in one transaction each and replies only after the commit.
 * After a store failure the applier applies nothing more and the next apply call throws: Ratis
 * then stops this group's updater, so no later entry is applied over a gap (DESIGN invariant 8).
 *
 * <p>At start, {@link ColdStartGate} decides whether the store can be used as it is; the
 * {@link ReplicaStore} opens it accordingly, and later swaps in snapshots installed from the
 * leader. What the store durably holds is reported to Ratis as the latest snapshot
 * ({@link DurableBaseline}), so Ratis replays only the log after it (invariant 6).
 */
public final class ShardStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(ShardStateMachine.class);
  /** Most entries one group-commit transaction holds (etcd's batch transaction is similar). */
  static final int MAX_ENTRIES_PER_TRANSACTION = 1000;

  private final int shard;
  private final ReplicaSettings settings;
  private final MetricRegistry metrics;
  private final SnapshotFetcher fetcher;
  private final Executor background;
  private final ReplicaStore replica;
  private final ShardCommandExecutor executor = new ShardCommandExecutor();
  private final Histogram applyBatchOps;
  private final Timer replicateStage;
  private volatile GroupCommitApplier applier;
  private volatile ShardSnapshotter snapshotter;
  private volatile ColdStartReport coldStart;
  private final ReplicaFailure failure;
  private final Consumer<ShardStateMachine> onGroupRemoved;

  ShardStateMachine(int shard, ReplicaSettings settings, SnapshotFetcher fetcher, Executor background,
      MetricRegistry metrics) {
    this(shard, settings, fetcher, background, metrics, removed -> { });
  }

  /**
   * @param onGroupRemoved given this state machine once Ratis removed its group from the node
   *     (store already closed)
   */
  public ShardStateMachine(int shard, ReplicaSettings settings, SnapshotFetcher fetcher, Executor background,
      MetricRegistry metrics, Consumer<ShardStateMachine> onGroupRemoved) {
    this.onGroupRemoved = onGroupRemoved;
    this.shard = shard;
    this.settings = settings;
    this.fetcher = fetcher;
    this.background = background;
    this.metrics = metrics;
    this.replica = new ReplicaStore(shard, settings);
    this.replicateStage = metrics.timer(MetricNames.writeStageSeconds("replicate", shard));
    this.failure = new ReplicaFailure(shard, metrics);
    this.applyBatchOps = metrics.histogram(MetricNames.applyBatchOps(shard));
    metrics.timer(MetricNames.snapshotInstallSeconds(shard)); // present (count 0) before the first install
    ShardGauges.register(metrics, this, replica::current);
  }

  public int shard() {
    return shard;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    super.initialize(server, groupId, raftStorage);
    getLifeCycle().startAndTransition(() -> openThroughGate(raftStorage), IOException.class);
  }

  private void openThroughGate(RaftStorage raftStorage) throws IOException {
    long start = System.nanoTime();
    ColdStartDecision decision = replica.open(raftStorage.getStorageDir().getStateMachineDir().toPath());
    TermIndex baseline = replica.baseline();
    if (baseline != null) {
      setLastAppliedTermIndex(baseline);
    }
    snapshotter = new ShardSnapshotter(shard, replica.snapshotSource(), replica.artifacts(), background,
        settings.crashPoints(), metrics);
    applier = new GroupCommitApplier(shard, replica::current, executor, MAX_ENTRIES_PER_TRANSACTION,
        new GroupCommitApplier.Listener() {
          @Override
          public void committed(AppliedIndex last, List<DigestPoint> committed) {
            replica.digests().recordCommitted(committed);
            updateLastAppliedTermIndex(last.term(), last.index());
          }

          @Override
          public void failed(AppliedIndex firstUnapplied, RuntimeException cause) {
            failure.applyFailed(toTermIndex(firstUnapplied), cause);
          }
        }, metrics);

    long millis = (System.nanoTime() - start) / 1_000_000;
    coldStart = new ColdStartReport(shard, decision, millis);
    metrics.counter(MetricNames.coldStartTotal(decision.outcome().label(), decision.reasonLabel())).inc();
    metrics.timer(MetricNames.coldStartSeconds()).update(java.time.Duration.ofMillis(millis));
    LOG.info("cold start shard={} group={} outcome={} reason={} durable={} snapshot={} duration_ms={}",
        shard, getGroupId(), decision.outcome().label(), decision.reasonLabel(),
        decision.durable().map(Object::toString).orElse("none"),
        decision.snapshot().map(Object::toString).orElse("none"), millis);
    settings.timeline().reached("shard_initialized", shard);
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    TermIndex b = replica.baseline();
    return b == null ? null : new DurableBaseline(b);
  }

  @Override
  public long takeSnapshot() {
    // Ratis's snapshot index starts at what getLatestSnapshot() reported, which after a skip is
    // the store's durable index and may be ahead of every artifact on disk. Reporting an older
    // artifact would fail Ratis's "snapshot index only increases" check and stop the group, so
    // an artifact older than the baseline is not reported (-1: nothing new yet).
    TermIndex known = replica.baseline();
    long index = snapshotter.takeSnapshot(toAppliedIndex(getLastAppliedTermIndex()));
    snapshotter.completed().ifPresent(a -> replica.advanceBaseline(toTermIndex(a.index())));
    return known != null && index < known.getIndex() ? -1 : index;
  }

  /** Starts an artifact at the current applied index unless one is being copied already. */
  public void snapshotSoon() {
    ShardSnapshotter s = snapshotter;
    if (s != null) {
      s.takeSnapshot(toAppliedIndex(getLastAppliedTermIndex()));
    }
  }

  public CompletableFuture<SnapshotArtifact> snapshotNow() {
    return snapshotter.snapshotNow();
  }

  /** On the leader: stamps when the request arrived, for the {@code replicate} stage metric. */
  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    return super.startTransaction(request).setStateMachineContext(System.nanoTime());
  }

  /**
   * Hands the committed entry to the group-commit applier and returns at once; the reply
   * completes after the transaction holding the entry committed (invariant 1). Ratis calls this
   * in log order on its apply thread without waiting for the returned future.
   */
  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    TermIndex ti = TermIndex.valueOf(entry);
    if (trx.getStateMachineContext() instanceof Long received) {
      replicateStage.update(System.nanoTime() - received, TimeUnit.NANOSECONDS);
    }
    RaftCommand command;
    try {
      command = RaftCommand.parseFrom(RatisBytes.view(entry.getStateMachineLogEntry().getLogData()));
    } catch (InvalidProtocolBufferException e) {
      // Bad input is rejected before the log (invariant 9); an undecodable entry means a
      // version or corruption problem, and skipping it would diverge from the log.
      throw failure.applyFailed(ti, new IllegalStateException("undecodable log entry at " + ti, e));
    }
    CompletableFuture<RaftCommandResult> result;
    try {
      result = applier.submit(toAppliedIndex(ti), command);
    } catch (RuntimeException e) {
      throw failure.applyFailed(ti, e); // thrown: Ratis stops this group's updater
    }
    applyBatchOps.update(ShardCommandExecutor.opCount(command));
    return result.thenApply(RatisBytes::toMessage);
  }

  /**
   * Ratis calls this for applied entries that carry no state-machine data (configuration and
   * metadata entries). They advance the store's meta too (invariant 2), in the same queue as the
   * data entries. Ratis counts such an entry as applied as soon as this returns (and may then
   * release linearizable reads), so it waits until the transaction holding it committed.
   */
  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    TermIndex ti = TermIndex.valueOf(term, index);
    try {
      applier.submit(new AppliedIndex(term, index), null).join();
    } catch (RuntimeException e) {
      RuntimeException cause = e instanceof CompletionException && e.getCause() instanceof RuntimeException r ? r : e;
      throw failure.applyFailed(ti, cause);
    }
    super.notifyTermIndexUpdated(term, index);
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    try {
      RaftQuery query = RaftQuery.parseFrom(RatisBytes.view(request.getContent()));
      if (query.hasDigests()) {
        return CompletableFuture.completedFuture(RatisBytes.toMessage(DigestHistoryCodec.encode(
            replica.digests().points(), failure.current().map(Throwable::toString))));
      }
      return CompletableFuture.completedFuture(
          RatisBytes.toMessage(executor.query(requireHealthy(), query)));
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The leader purged the log this replica still needs: fetch the leader's snapshot artifact
   * and save it locally. Ratis then pauses this state machine and calls {@link #reinitialize()},
   * which installs it into the live store on the apply thread.
   */
  @Override
  public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(RoleInfoProto roleInfo,
      TermIndex firstTermIndexInLog) {
    String leader = roleInfo.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8();
    long minIndex = firstTermIndexInLog.getIndex() - 1;
    if (minIndex < 0) {
      // Ratis asks every joining replica to install a snapshot first, even when the leader's log
      // still starts at its first entry. Then there is nothing to fetch: "unavailable" (null)
      // tells the leader to send the whole log instead.
      LOG.info("shard {}: leader {} still holds its whole log; catching up from the log, not a snapshot", shard, leader);
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.supplyAsync(() -> {
      try {
        SnapshotArtifact saved = replica.fetchPending(fetcher, leader, minIndex);
        LOG.info("shard {}: fetched snapshot {} from leader {} (needed >= {})", shard, saved.index(), leader,
            minIndex);
        return toTermIndex(saved.index());
      } catch (IOException e) {
        LOG.warn("shard {}: fetching a snapshot from {} failed: {}", shard, leader, e.toString());
        throw new CompletionException(e);
      }
    }, background);
  }

  @Override
  public synchronized void pause() {
    if (getLifeCycle().getCurrentState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /** Installs the newest artifact (just fetched from the leader) into the live store. */
  @Override
  public synchronized void reinitialize() throws IOException {
    long start = System.nanoTime();
    if (getLifeCycle().getCurrentState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
    }
    try {
      applier.awaitSubmitted(); // the live store is about to be replaced: let queued entries land
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted waiting for applies before an install");
    }
    SnapshotArtifact artifact = replica.install();
    setLastAppliedTermIndex(replica.baseline());
    snapshotter.installed(artifact);
    long millis = (System.nanoTime() - start) / 1_000_000;
    metrics.timer(MetricNames.snapshotInstallSeconds(shard)).update(java.time.Duration.ofMillis(millis));
    LOG.info("shard {}: snapshot installed at {} in {} ms; durable applied index is now {}",
        shard, artifact.index(), millis, artifact.index());
    if (getLifeCycle().getCurrentState() == LifeCycle.State.STARTING) {
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  /**
   * This node left the group (Admin RemoveReplica): Ratis has closed the state machine; the
   * host records the removal and deletes the replica's data.
   */
  @Override
  public void notifyGroupRemove() {
    LOG.info("shard {}: this node's replica was removed from group {}; deleting its data", shard, getGroupId());
    ShardGauges.unregister(metrics, shard);
    onGroupRemoved.accept(this);
  }

  /** The local store for stale reads; fails if this replica stopped on a store failure. */
  public LmdbShardStore requireHealthy() {
    Throwable f = failure.current().orElse(null);
    if (f != null) {
      throw new ShardFailedException("shard " + shard + " replica stopped: " + f, f);
    }
    LmdbShardStore s = replica.current();
    if (s == null) {
      throw new ShardUnavailableException(shard, "replica is not serving (starting or installing a snapshot)", null);
    }
    return s;
  }

  /**
   * True once after each restore from a snapshot artifact: the scrubber then checks the restored
   * data against the digest the artifact carried.
   */
  public boolean takeRestoreCheck() {
    return replica.takeRestoreCheck();
  }

  /** This replica's recent (index, digest) points, oldest first (invariant 10). */
  List<DigestPoint> digestPoints() {
    return replica.digests().points();
  }

  /** A full scan of the live store against its digest (see {@link LmdbShardStore#scrub}). */
  public ScrubResult scrub(ScrubPacer pacer) throws InterruptedException {
    return replica.requireOpen().scrub(pacer);
  }

  /**
   * The scrubber found this replica's data different from its digest: refuse every read from
   * now on (it is re-synced from the leader, or an operator replaces it). Applies go on, so the
   * group keeps its quorum meanwhile.
   */
  public void markDataCorrupt(String reason) {
    failure.dataCorrupt(reason);
  }

  /** The store failure that stopped this replica's applying, if any (invariant 8). */
  public Optional<Throwable> failure() {
    return failure.current();
  }

  /** Durable applied index of the local store, or empty if unknown. */
  public Optional<AppliedIndex> durableAppliedIndex() {
    return replica.durableAppliedIndex();
  }

  /** This replica's cold-start decision, once initialized. */
  public Optional<ColdStartReport> coldStart() {
    return Optional.ofNullable(coldStart);
  }

  /** The newest complete snapshot artifact on this node. */
  public Optional<SnapshotArtifact> latestArtifact() throws IOException {
    return replica.latestArtifact();
  }

  @Override
  public void close() throws IOException {
    GroupCommitApplier a = applier;
    if (a != null) {
      a.close();
    }
    replica.close();
    super.close();
  }
}
