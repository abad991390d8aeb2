package io.shardkv.it;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Decides whether a history of register operations is linearizable, key by key (keys are
 * independent registers, so a history is linearizable iff every key's sub-history is).
 *
 * <p>The search is Wing and Gong's, with Lowe's memoization: extend a partial linearization
 * by any pending operation that was invoked before every other pending operation's response
 * (the "minimal" operations), backtrack on a dead end, and never explore the same pair
 * (set of linearized operations, register state) twice. Operations with an unknown outcome
 * never respond, so they never block others and may be linearized at any point after their
 * invocation, or not at all: the search succeeds once every completed operation is placed.
 */
final class LinearizabilityChecker {
  private final long budget;

  /** {@code budget}: how many search steps one key may take before the answer is "unknown". */
  LinearizabilityChecker(long budget) {
    this.budget = budget;
  }

  /** The verdict on a whole history: the first key that is not linearizable, if any. */
  record Result(Verdict verdict, String key, List<RegisterOp> subHistory, String explanation) {
    boolean linearizable() {
      return verdict == Verdict.LINEARIZABLE;
    }

    /** The failing key's sub-history, one operation a line, times relative to its start. */
    String describe() {
      if (linearizable()) {
        return "linearizable";
      }
      long t0 = subHistory.stream().mapToLong(RegisterOp::invokedAt).min().orElse(0);
      StringBuilder b = new StringBuilder(verdict + " on key " + key + ": " + explanation + "\n");
      for (RegisterOp op : subHistory) {
        b.append(String.format("  [%9.3f ms .. %s] %s%n", (op.invokedAt() - t0) / 1e6,
            op.completed() ? String.format("%9.3f ms", (op.completedAt() - t0) / 1e6) : "    never", op));
      }
      return b.toString();
    }
  }

  /** Linearizable; not linearizable; or the search budget ran out first. */
  enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

  Result check(List<RegisterOp> history) {
    Map<String, List<RegisterOp>> byKey = history.stream()
        .collect(Collectors.groupingBy(RegisterOp::key, TreeMap::new, Collectors.toList()));
    for (var e : byKey.entrySet()) {
      Result r = checkKey(e.getKey(), e.getValue());
      if (!r.linearizable()) {
        return r;
      }
    }
    return new Result(Verdict.LINEARIZABLE, null, List.of(), "");
  }

  /** A node of the memo: which operations are linearized, and the state they leave. */
  private record Seen(BitSet linearized, RegisterModel.State state) {}

  /** A choice on the search stack: the operation placed and the state before it. */
  private record Choice(int op, RegisterModel.State before) {}

  private Result checkKey(String key, List<RegisterOp> unsorted) {
    List<RegisterOp> ops = new ArrayList<>(unsorted);
    ops.sort(Comparator.comparingLong(RegisterOp::invokedAt).thenComparingInt(RegisterOp::id));
    int n = ops.size();
    long[] invoked = new long[n];
    long[] completed = new long[n];
    int mustPlace = 0;
    for (int i = 0; i < n; i++) {
      invoked[i] = ops.get(i).invokedAt();
      completed[i] = ops.get(i).completedAt();
      mustPlace += ops.get(i).completed() ? 1 : 0;
    }

    BitSet placed = new BitSet(n);
    int placedCompleted = 0;
    RegisterModel.State state = RegisterModel.State.ABSENT; // every key starts absent
    Deque<Choice> stack = new ArrayDeque<>();
    Set<Seen> seen = new HashSet<>();
    int nextCandidate = 0; // where to resume trying candidates after a backtrack
    int deepest = 0;
    int stuckDepth = -1;
    String stuckAt = "";
    for (long steps = 0; ; steps++) {
      if (placedCompleted == mustPlace) {
        return new Result(Verdict.LINEARIZABLE, key, ops, "");
      }
      if (steps > budget) {
        return new Result(Verdict.UNKNOWN, key, ops, "search budget of " + budget + " steps exhausted");
      }
      // An operation may go next only if no pending operation responded before it was invoked.
      // Ties count as concurrent: nanoTime cannot order them.
      long firstResponse = Long.MAX_VALUE;
      for (int i = placed.nextClearBit(0); i < n; i = placed.nextClearBit(i + 1)) {
        firstResponse = Math.min(firstResponse, completed[i]);
      }
      int chosen = -1;
      RegisterModel.State after = null;
      for (int i = placed.nextClearBit(nextCandidate); i < n && invoked[i] <= firstResponse;
          i = placed.nextClearBit(i + 1)) {
        Optional<RegisterModel.State> next = RegisterModel.step(state, ops.get(i));
        if (next.isEmpty()) {
          continue;
        }
        placed.set(i);
        if (seen.add(new Seen((BitSet) placed.clone(), next.get()))) {
          chosen = i;
          after = next.get();
          break;
        }
        placed.clear(i);
      }
      if (chosen >= 0) {
        stack.push(new Choice(chosen, state));
        state = after;
        placedCompleted += ops.get(chosen).completed() ? 1 : 0;
        nextCandidate = 0;
        if (placedCompleted > deepest) {
          deepest = placedCompleted;
        }
        continue;
      }
      if (placedCompleted > stuckDepth) { // remember the deepest dead end: the likeliest culprit
        stuckDepth = placedCompleted;
        stuckAt = describeStuck(ops, placed, firstResponse, state, invoked);
      }
      if (stack.isEmpty()) {
        return new Result(Verdict.NOT_LINEARIZABLE, key, ops, "at most " + deepest + " of " + mustPlace
            + " completed operations can be linearized; deepest dead end: " + stuckAt);
      }
      Choice undo = stack.pop();
      placed.clear(undo.op());
      placedCompleted -= ops.get(undo.op()).completed() ? 1 : 0;
      state = undo.before();
      nextCandidate = undo.op() + 1;
    }
  }

  private static String describeStuck(List<RegisterOp> ops, BitSet placed, long firstResponse,
      RegisterModel.State state, long[] invoked) {
    StringBuilder b = new StringBuilder("in state " + (state.value() == null ? "<absent>" : state.value())
        + " after " + placed.cardinality() + " operations, none of these can go next:");
    for (int i = placed.nextClearBit(0); i < ops.size() && invoked[i] <= firstResponse;
        i = placed.nextClearBit(i + 1)) {
      b.append("\n    ").append(ops.get(i));
    }
    return b.toString();
  }
}
