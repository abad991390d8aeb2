package io.shardkv.raft.health;

import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ReplicaDigest;
import java.util.List;
import java.util.Optional;

/**
 * What one Admin VerifyShard found for one shard: the replicas' digests compared at the newest
 * applied index they all remember (DESIGN invariant 10).
 *
 * @param shard the shard
 * @param result {@code match}, {@code mismatch} (some replica differs from the others) or
 *     {@code incomplete} (a replica did not answer or no common index was found: retry)
 * @param comparedAt the index the digests were compared at, if any
 * @param replicas one line per member of the group
 * @param detail a sentence for the operator when the result is not {@code match}
 */
public record ShardVerification(int shard, Result result, Optional<AppliedIndex> comparedAt,
    List<Replica> replicas, String detail) {

  /** The outcome for the shard. */
  public enum Result {
    MATCH, MISMATCH, INCOMPLETE;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** What a replica's own state is in the comparison. */
  public enum ReplicaState {
    /** Its digest at the compared index equals the others'. */
    MATCHES,
    /** Its digest at the compared index differs from the majority's. */
    DIFFERS,
    /** It did not answer in time. */
    UNREACHABLE,
    /** It answered, but shares no remembered index with the others. */
    NOT_COMPARED,
    /** It has stopped (a store failure, or a scrub found its data corrupt). */
    FAILED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * @param node the node id
   * @param state its state in this comparison
   * @param digest its digest at the compared index, if it has one
   * @param newest the newest index it remembers, if it answered
   * @param failure why it stopped, if it did
   */
  public record Replica(String node, ReplicaState state, Optional<ReplicaDigest> digest,
      Optional<AppliedIndex> newest, Optional<String> failure) {}

  public ShardVerification {
    replicas = List.copyOf(replicas);
  }
}
