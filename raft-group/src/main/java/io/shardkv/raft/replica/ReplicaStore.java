package io.shardkv.raft.replica;

import io.shardkv.raft.coldstart.ColdStartDecision;
import io.shardkv.raft.coldstart.ColdStartGate;
import io.shardkv.raft.coldstart.StoreProbe;
import io.shardkv.raft.snapshot.SnapshotArtifact;
import io.shardkv.raft.snapshot.SnapshotArtifacts;
import io.shardkv.raft.snapshot.SnapshotFetcher;
import io.shardkv.raft.snapshot.SnapshotSource;
import io.shardkv.raft.snapshot.StoreRestorer;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.LmdbShardStore;
import io.shardkv.store.MetaRead;
import io.shardkv.store.StoreClosedException;
import io.shardkv.store.StoreDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.ratis.server.protocol.TermIndex;

/**
 * One replica's live LMDB store and the two ways it is replaced: opened at start the way the
 * {@link ColdStartGate} decides (DESIGN invariant 6), and swapped for a snapshot artifact
 * installed from the leader. It knows the {@code (term, index)} the store durably holds, which
 * the state machine reports to Ratis as its latest snapshot ({@link DurableBaseline}), and
 * keeps the store's recent digests ({@link DigestHistory}) in step with each replacement.
 */
final class ReplicaStore {
  static final String GROUP_MARKER = "shardkv-group-initialized";

  private final int shard;
  private final ReplicaSettings settings;
  private final ColdStartGate gate = new ColdStartGate();
  private final DigestHistory digests = new DigestHistory();
  private volatile LmdbShardStore store;
  private volatile SnapshotArtifacts artifacts;
  private volatile StoreRestorer restorer;
  private volatile TermIndex baseline;
  /** Set when the store was restored from a snapshot artifact and no scrub has checked it yet. */
  private volatile boolean restoreUnchecked;

  ReplicaStore(int shard, ReplicaSettings settings) {
    this.shard = shard;
    this.settings = settings;
  }

  /**
   * Opens the store at start: skips the restore when the gate says so, else restores the newest
   * artifact (or creates an empty store when there is none). Refuses a store that has history
   * while the group's Raft directory is new (its log, term and vote were lost).
   *
   * @param smDir the group's state-machine directory (artifacts and the marker live there)
   * @return the gate's decision
   */
  ColdStartDecision open(Path smDir) throws IOException {
    artifacts = new SnapshotArtifacts(smDir, settings.snapshotsKept());
    artifacts.removeStaging();
    StoreDirectory dir = new StoreDirectory(settings.storeRoot());
    restorer = new StoreRestorer(dir, settings.store(), settings.crashPoints());
    Optional<SnapshotArtifact> snapshot = artifacts.latest();

    LmdbShardStore opened = null;
    StoreProbe probe;
    Optional<Path> live = dir.current();
    if (live.isEmpty()) {
      probe = new StoreProbe.NoStore();
    } else {
      try {
        opened = LmdbShardStore.open(live.get(), settings.store(), settings.crashPoints());
        settings.timeline().reached("store_opened");
        probe = new StoreProbe.Opened(opened.readMeta());
      } catch (IOException | RuntimeException e) {
        probe = new StoreProbe.Unreadable(e.toString());
      }
    }
    ColdStartDecision decision = gate.decide(probe, snapshot.map(SnapshotArtifact::index));

    Path marker = smDir.resolve(GROUP_MARKER);
    if (!Files.exists(marker) && decision.durable().isPresent()) {
      // The store has history but this Raft group directory is new: the log (and with it the
      // term and vote) was lost. Serving would risk voting twice in a term.
      close(opened);
      throw new IOException("shard " + shard + ": the store in " + dir.root() + " has applied index "
          + decision.durable().get() + " but the Raft group directory " + smDir.getParent()
          + " is new (its log was lost?). Refusing to start this group. Restore the Raft directory, "
          + "or delete " + dir.root() + " so this replica re-syncs from the leader.");
    }

    if (decision.skipped()) {
      store = opened;
      baseline = toTermIndex(decision.durable().orElseThrow());
    } else {
      close(opened);
      if (snapshot.isPresent()) {
        store = restorer.restore(snapshot.get(), artifacts);
        restoreUnchecked = true;
        baseline = toTermIndex(snapshot.get().index());
      } else {
        store = restorer.createEmpty(); // nothing to restore: replay the (never purged) log
        baseline = null;
      }
    }
    digests.resetTo(store.digest());
    dir.removeInactive();
    if (!Files.exists(marker)) {
      Files.createFile(marker);
      StoreDirectory.fsync(smDir);
    }
    return decision;
  }

  /**
   * Fetches the leader's artifact at {@code minIndex} or later and saves it as pending: it stays
   * pending until {@link #install} has put it in place, because before that Ratis has not reset
   * its log for it, so the cold-start gate must not restore from it.
   */
  SnapshotArtifact fetchPending(SnapshotFetcher fetcher, String leader, long minIndex) throws IOException {
    Path staging = artifacts.newStagingDir();
    AppliedIndex got = fetcher.fetch(leader, shard, minIndex, staging.resolve(SnapshotArtifacts.DATA_FILE));
    return artifacts.savePending(got, staging);
  }

  /**
   * Replaces the live store with the newest artifact: the one just fetched from the leader
   * (pending until now, then promoted) or, failing that, the newest saved one. The caller has
   * let every queued apply land first. Returns the installed artifact.
   */
  synchronized SnapshotArtifact install() throws IOException {
    Optional<SnapshotArtifact> pending = artifacts.pending();
    SnapshotArtifact artifact = pending.isPresent() ? pending.get() : artifacts.latest()
        .orElseThrow(() -> new IOException("shard " + shard + ": reinitialize without a snapshot"));
    LmdbShardStore previous = store;
    store = null;
    close(previous);
    store = restorer.restore(artifact, artifacts);
    restoreUnchecked = true;
    digests.resetTo(store.digest());
    if (pending.isPresent()) {
      artifact = artifacts.promote(artifact);
    }
    baseline = toTermIndex(artifact.index());
    return artifact;
  }

  /** The live store; null while closed (stopping, removed, or installing). */
  LmdbShardStore current() {
    return store;
  }

  /** The live store, for work that may outlive it (a background snapshot copy). */
  LmdbShardStore requireOpen() {
    LmdbShardStore s = store;
    if (s == null) {
      throw new StoreClosedException("shard " + shard + "'s store is closed (replica stopping, removed or installing)");
    }
    return s;
  }

  /** What snapshotting needs from the live store. */
  SnapshotSource snapshotSource() {
    return new SnapshotSource() {
      @Override
      public AppliedIndex pinAt(AppliedIndex at) {
        return requireOpen().pinAt(at);
      }

      @Override
      public void copyCompactedTo(Path dir) {
        requireOpen().copyCompactedTo(dir);
      }

      @Override
      public AppliedIndex indexOfCopy(Path dir) throws IOException {
        try (LmdbShardStore copy = LmdbShardStore.open(dir, settings.store())) {
          if (copy.readMeta() instanceof MetaRead.Present p) {
            return p.index();
          }
          throw new IOException("snapshot copy in " + dir + " has no readable meta");
        }
      }
    };
  }

  /** The {@code (term, index)} the store durably holds as far as Ratis is told; null for an empty store. */
  TermIndex baseline() {
    return baseline;
  }

  /** Raises the baseline to {@code ti} (a newer artifact completed); never lowers it. */
  synchronized void advanceBaseline(TermIndex ti) {
    if (baseline == null || ti.getIndex() > baseline.getIndex()) {
      baseline = ti;
    }
  }

  /** The store's recent (index, digest) points. */
  DigestHistory digests() {
    return digests;
  }

  /** The group's saved snapshot artifacts; null before {@link #open}. */
  SnapshotArtifacts artifacts() {
    return artifacts;
  }

  /** True once after each restore from an artifact: a scrub should check the restored data. */
  boolean takeRestoreCheck() {
    if (!restoreUnchecked) {
      return false;
    }
    restoreUnchecked = false;
    return true;
  }

  /** Durable applied index of the live store, or empty if unknown. */
  Optional<AppliedIndex> durableAppliedIndex() {
    LmdbShardStore s = store;
    try {
      return s == null ? Optional.empty() : s.appliedIndex();
    } catch (RuntimeException e) {
      return Optional.empty(); // closed concurrently (install in progress)
    }
  }

  /** The newest complete snapshot artifact. */
  Optional<SnapshotArtifact> latestArtifact() throws IOException {
    SnapshotArtifacts a = artifacts;
    return a == null ? Optional.empty() : a.latest();
  }

  /** Closes the live store (the replica stops). */
  void close() {
    LmdbShardStore s = store;
    store = null;
    close(s);
  }

  private static void close(LmdbShardStore s) {
    if (s != null) {
      s.close();
    }
  }

  static AppliedIndex toAppliedIndex(TermIndex ti) {
    return new AppliedIndex(Math.max(0, ti.getTerm()), Math.max(0, ti.getIndex()));
  }

  static TermIndex toTermIndex(AppliedIndex at) {
    return TermIndex.valueOf(at.term(), at.index());
  }
}
