package io.shardkv.it;

/**
 * One client operation on one key's register as the client observed it: what it asked for,
 * what it was told, and when (System.nanoTime at invocation and at response). An operation
 * whose outcome is unknown (the request may or may not have taken effect) has
 * {@link Outcome.Unknown} and a response time of {@link #NEVER}: it stays concurrent with
 * everything after its invocation.
 */
record RegisterOp(int id, int client, String key, Command command, Outcome outcome, long invokedAt, long completedAt) {
  /** Response time of an operation whose outcome is unknown. */
  static final long NEVER = Long.MAX_VALUE;

  RegisterOp {
    if (outcome instanceof Outcome.Unknown && completedAt != NEVER) {
      throw new IllegalArgumentException("an unknown outcome never completes: " + completedAt);
    }
    if (completedAt <= invokedAt) {
      throw new IllegalArgumentException("completed " + completedAt + " not after invoked " + invokedAt);
    }
  }

  /** Whether the client learned the outcome; only these must appear in a linearization. */
  boolean completed() {
    return !(outcome instanceof Outcome.Unknown);
  }

  /** What the client asked for. */
  sealed interface Command {
    /** A linearizable read. */
    record Read() implements Command {}

    /** An unconditional put. */
    record Write(String value) implements Command {}

    /** Compare-and-set; {@code expected == null} means "expect absent". */
    record Cas(String expected, String value) implements Command {}

    /** Removes the key. */
    record Delete() implements Command {}
  }

  /** What the client was told. */
  sealed interface Outcome {
    /** Timed out or failed after the request may have been sent: may or may not have happened. */
    record Unknown() implements Outcome {}

    /** A read's answer; {@code value == null} means absent. */
    record ReadValue(String value) implements Outcome {}

    /** A put was acknowledged. */
    record Written() implements Outcome {}

    /** A CAS answer: whether it succeeded and the value after it ({@code null}: absent). */
    record CasResult(boolean succeeded, String current) implements Outcome {}

    /** A delete answer: whether the key existed. */
    record Deleted(boolean existed) implements Outcome {}
  }

  @Override
  public String toString() {
    String cmd;
    if (command instanceof Command.Write w) {
      cmd = "write(" + w.value() + ")";
    } else if (command instanceof Command.Cas c) {
      cmd = "cas(" + show(c.expected()) + " -> " + c.value() + ")";
    } else if (command instanceof Command.Delete) {
      cmd = "delete";
    } else {
      cmd = "read";
    }
    String out;
    if (outcome instanceof Outcome.ReadValue r) {
      out = show(r.value());
    } else if (outcome instanceof Outcome.Written) {
      out = "ok";
    } else if (outcome instanceof Outcome.CasResult c) {
      out = (c.succeeded() ? "ok" : "fail") + ", now " + show(c.current());
    } else if (outcome instanceof Outcome.Deleted d) {
      out = d.existed() ? "existed" : "was absent";
    } else {
      out = "? (unknown outcome)";
    }
    return "#" + id + " c" + client + " " + key + " " + cmd + " -> " + out;
  }

  private static String show(String value) {
    return value == null ? "<absent>" : value;
  }
}
