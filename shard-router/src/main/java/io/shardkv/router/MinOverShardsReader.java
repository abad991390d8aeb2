package io.shardkv.router;

import io.shardkv.store.AppliedIndex;
import io.shardkv.store.AppliedIndexReader;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The node-level applied index (DESIGN invariant 7): the minimum, by index, over the shards this
 * node hosts, and "missing" (empty) if any shard is missing.
 *
 * <p>Why the minimum: readiness and the admin API use this figure to say how far the node has
 * caught up, and a node is only as caught up as its slowest shard. Why "missing" wins: one shard
 * that has applied nothing (or whose meta cannot be trusted) means the node is not ready,
 * however far the others are; reporting the others' minimum would hide it. An empty list is
 * missing too: a node hosting no shards has nothing applied to report.
 *
 * <p>Each call reads every shard afresh, so the answer follows shards that advance unevenly.
 */
public final class MinOverShardsReader implements AppliedIndexReader {
  private final Supplier<? extends List<? extends AppliedIndexReader>> shards;

  /** Reads the given per-shard readers; the list is copied. */
  public MinOverShardsReader(List<? extends AppliedIndexReader> shards) {
    List<? extends AppliedIndexReader> fixed = List.copyOf(shards);
    this.shards = () -> fixed;
  }

  /**
   * Reads whichever shards {@code hostedShards} lists at each call: the set a node hosts changes
   * when an operator adds or removes one of its replicas.
   */
  public MinOverShardsReader(Supplier<? extends List<? extends AppliedIndexReader>> hostedShards) {
    this.shards = hostedShards;
  }

  @Override
  public Optional<AppliedIndex> appliedIndex() {
    AppliedIndex min = null;
    for (AppliedIndexReader shard : shards.get()) {
      Optional<AppliedIndex> applied = shard.appliedIndex();
      if (applied.isEmpty()) {
        return Optional.empty();
      }
      if (min == null || applied.get().compareTo(min) < 0) {
        min = applied.get();
      }
    }
    return Optional.ofNullable(min);
  }
}
