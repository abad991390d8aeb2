package io.shardkv.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What concurrent clients of {@link LinearizabilityIT} observed: the linearizable operations
 * for the checker, the stale reads (checked only for not inventing values), every value any
 * client tried to write, and counts of how calls ended.
 */
final class HistoryLog {
  private final AtomicInteger ids = new AtomicInteger();
  private final ConcurrentLinkedQueue<RegisterOp> ops = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<StaleRead> staleReads = new ConcurrentLinkedQueue<>();
  private final Set<String> attemptedWrites = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();

  /** A stale read's answer: {@code value == null} means absent. */
  record StaleRead(String key, String value) {}

  int nextId() {
    return ids.getAndIncrement();
  }

  void add(RegisterOp op) {
    ops.add(op);
  }

  void addStaleRead(StaleRead read) {
    staleReads.add(read);
  }

  /** Records, before the call is sent, that {@code value} may end up in {@code key}. */
  void attemptedWrite(String key, String value) {
    attemptedWrites.add(key + "\u0000" + value);
  }

  boolean wasAttempted(String key, String value) {
    return attemptedWrites.contains(key + "\u0000" + value);
  }

  void count(String what) {
    counters.computeIfAbsent(what, w -> new AtomicLong()).incrementAndGet();
  }

  long counted(String what) {
    AtomicLong c = counters.get(what);
    return c == null ? 0 : c.get();
  }

  List<RegisterOp> ops() {
    return new ArrayList<>(ops);
  }

  List<StaleRead> staleReads() {
    return new ArrayList<>(staleReads);
  }

  Map<String, Long> counters() {
    Map<String, Long> copy = new TreeMap<>();
    counters.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }
}
