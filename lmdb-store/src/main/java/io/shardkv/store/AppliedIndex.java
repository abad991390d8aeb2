package io.shardkv.store;

/**
 * A Raft log position {@code (term, index)} that a store has applied. Ordered by index, because
 * within one group the index alone identifies the entry.
 */
public record AppliedIndex(long term, long index) implements Comparable<AppliedIndex> {

  public AppliedIndex {
    if (term < 0 || index < 0) {
      throw new IllegalArgumentException("term and index must be >= 0: " + term + ", " + index);
    }
  }

  @Override
  public int compareTo(AppliedIndex other) {
    return Long.compare(index, other.index);
  }

  @Override
  public String toString() {
    return "(t:" + term + ", i:" + index + ")";
  }
}
