package io.shardkv.raft.replica;

import io.shardkv.store.DigestAt;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The last few {@link DigestPoint}s of one replica, newest last. Replicas batch entries into
 * transactions differently and never stand at exactly the same index at the same moment, so
 * Admin VerifyShard compares them at the newest index they all still remember. Kept in memory:
 * after a restart it starts again from the store's durable (index, digest).
 */
final class DigestHistory {
  /** Enough for replicas a few hundred entries apart (a busy follower) to overlap. */
  static final int CAPACITY = 1024;

  private final ArrayDeque<DigestPoint> points = new ArrayDeque<>(CAPACITY);

  /** Starts over from what the store holds (open, restore, install). */
  synchronized void resetTo(DigestAt stored) {
    points.clear();
    stored.at().ifPresent(at -> points.addLast(new DigestPoint(at, stored.digest())));
  }

  /** Records the points of a committed transaction, in index order. */
  synchronized void recordCommitted(List<DigestPoint> committed) {
    for (DigestPoint p : committed) {
      DigestPoint last = points.peekLast();
      if (last != null && p.at().index() <= last.at().index()) {
        continue; // never out of order: a replayed entry applied nothing
      }
      if (points.size() == CAPACITY) {
        points.removeFirst();
      }
      points.addLast(p);
    }
  }

  /** A copy of the points, oldest first. */
  synchronized List<DigestPoint> points() {
    return List.copyOf(points);
  }
}
