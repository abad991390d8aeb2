package io.shardkv.store;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fault injection for crash tests: kills the process (halt, no shutdown hooks, like SIGKILL) the
 * N-th time a named point is reached. Enabled only when the system property
 * {@code shardkv.crash.point} names a point; {@code shardkv.crash.after} (default 1) says which
 * occurrence. Production runs get {@link #disabled()}.
 */
public final class CrashPoints {
  /**
   * After an apply's write transaction (one entry or a group commit of many) committed, before
   * any of its entries' replies is sent.
   */
  public static final String AFTER_APPLY_COMMIT = "after-apply-commit";
  /** Inside a group-commit transaction, after one entry's operations and before the next's. */
  public static final String BETWEEN_BATCH_ENTRIES = "between-batch-entries";
  /** While pinning for a snapshot: the meta write committed, the fsync not yet done. */
  public static final String DURING_PIN_FLUSH = "during-pin-flush";
  /** After the live store was pinned for a snapshot, before the artifact is renamed into place. */
  public static final String AFTER_PIN_BEFORE_RENAME = "after-pin-before-rename";
  /** After the artifact was renamed into place, before Ratis learns of it. */
  public static final String AFTER_RENAME_BEFORE_REPORT = "after-rename-before-report";
  /** In the middle of installing a snapshot into the live store. */
  public static final String MID_INSTALL = "mid-install";

  private static final Logger LOG = LoggerFactory.getLogger(CrashPoints.class);
  private final String armedPoint;
  private final int after;
  private final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();

  private CrashPoints(String armedPoint, int after) {
    this.armedPoint = armedPoint;
    this.after = after;
  }

  /** No point armed. */
  public static CrashPoints disabled() {
    return new CrashPoints(null, 0);
  }

  /** Armed from {@code shardkv.crash.point} / {@code shardkv.crash.after}, if set. */
  public static CrashPoints fromSystemProperties() {
    String point = System.getProperty("shardkv.crash.point");
    if (point == null || point.isBlank()) {
      return disabled();
    }
    int after = Integer.parseInt(System.getProperty("shardkv.crash.after", "1"));
    LOG.warn("fault injection armed: the process halts at the {}th '{}'", after, point);
    return new CrashPoints(point, after);
  }

  /** Halts the process if {@code point} is armed and this is its N-th occurrence. */
  public void reached(String point) {
    if (armedPoint == null || !armedPoint.equals(point)) {
      return;
    }
    if (seen.computeIfAbsent(point, p -> new AtomicInteger()).incrementAndGet() == after) {
      System.err.println("shardkv: fault injection: halting at " + point);
      System.err.flush();
      Runtime.getRuntime().halt(137);
    }
  }
}
