package io.shardkv.it;

import io.shardkv.it.RegisterOp.Command;
import io.shardkv.it.RegisterOp.Outcome;
import java.util.Objects;
import java.util.Optional;

/**
 * The sequential specification of one key: a register holding a value or nothing. {@link #step}
 * says whether an operation with its observed outcome is legal in a state and what state follows.
 */
final class RegisterModel {
  private RegisterModel() {}

  /** A register's value; {@code value == null} means the key is absent. */
  record State(String value) {
    static final State ABSENT = new State(null);
  }

  /**
   * The state after {@code op} runs in {@code before}, or empty if the observed outcome is
   * impossible there. An unknown outcome is legal in any state; the search decides separately
   * whether such an operation happened at all.
   */
  static Optional<State> step(State before, RegisterOp op) {
    Command command = op.command();
    Outcome outcome = op.outcome();
    boolean unknown = outcome instanceof Outcome.Unknown;
    if (command instanceof Command.Read) {
      return unknown || Objects.equals(((Outcome.ReadValue) outcome).value(), before.value())
          ? Optional.of(before) : Optional.empty();
    }
    if (command instanceof Command.Write w) {
      return Optional.of(new State(w.value()));
    }
    if (command instanceof Command.Delete) {
      return unknown || ((Outcome.Deleted) outcome).existed() == (before.value() != null)
          ? Optional.of(State.ABSENT) : Optional.empty();
    }
    Command.Cas cas = (Command.Cas) command;
    boolean matches = Objects.equals(cas.expected(), before.value());
    State after = matches ? new State(cas.value()) : before;
    if (unknown) {
      return Optional.of(after);
    }
    Outcome.CasResult r = (Outcome.CasResult) outcome;
    // The reply's "current" is the value after the call, so a failed CAS is also a read.
    return r.succeeded() == matches && Objects.equals(r.current(), after.value())
        ? Optional.of(after) : Optional.empty();
  }
}
