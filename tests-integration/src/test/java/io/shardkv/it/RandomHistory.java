package io.shardkv.it;

import io.shardkv.it.RegisterOp.Command;
import io.shardkv.it.RegisterOp.Outcome;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Random concurrent histories that are linearizable by construction (each operation takes
 * effect at a chosen instant between its invocation and response), for testing the checker
 * at the sizes {@link LinearizabilityIT} produces.
 */
final class RandomHistory {
  private RandomHistory() {}

  /** A planned operation: its linearization point decides its outcome. */
  private record Planned(int client, Command command, long invoked, long point, long completed, boolean lost) {}

  /**
   * {@code clients} sequential clients, {@code count} operations on one key; about one write
   * or CAS in twenty has an unknown outcome, half of those never taking effect.
   */
  static List<RegisterOp> linearizable(Random random, int clients, int count, String key) {
    long[] clock = new long[clients];
    List<Planned> plan = new ArrayList<>();
    List<String> written = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int c = random.nextInt(clients);
      long invoked = clock[c] + 1 + random.nextInt(20);
      long point = invoked + random.nextInt(30);
      long completed = point + 1 + random.nextInt(30);
      int dice = random.nextInt(100);
      Command command;
      if (dice < 35) {
        command = new Command.Read();
      } else if (dice < 65) {
        command = new Command.Write("v" + i);
      } else if (dice < 90) {
        String expected = written.isEmpty() || random.nextInt(5) == 0 ? null
            : written.get(Math.max(0, written.size() - 1 - random.nextInt(3)));
        command = new Command.Cas(expected, "v" + i);
      } else {
        command = new Command.Delete();
      }
      if (command instanceof Command.Write || command instanceof Command.Cas) {
        written.add("v" + i);
      }
      boolean unknown = !(command instanceof Command.Read) && random.nextInt(20) == 0;
      plan.add(new Planned(c, command, invoked, point, unknown ? RegisterOp.NEVER : completed,
          unknown && random.nextBoolean()));
      clock[c] = completed;
    }
    plan.sort(Comparator.comparingLong(Planned::point));
    List<RegisterOp> history = new ArrayList<>();
    String state = null;
    for (Planned p : plan) {
      Outcome outcome;
      if (p.command() instanceof Command.Read) {
        outcome = new Outcome.ReadValue(state);
      } else if (p.command() instanceof Command.Write w) {
        outcome = new Outcome.Written();
        state = p.lost() ? state : w.value();
      } else if (p.command() instanceof Command.Cas cas) {
        boolean ok = Objects.equals(cas.expected(), state);
        state = ok && !p.lost() ? cas.value() : state;
        outcome = new Outcome.CasResult(ok, state);
      } else {
        outcome = new Outcome.Deleted(state != null);
        state = p.lost() ? state : null;
      }
      if (p.completed() == RegisterOp.NEVER) {
        outcome = new Outcome.Unknown();
      }
      history.add(new RegisterOp(0, p.client(), key, p.command(), outcome, p.invoked(), p.completed()));
    }
    history.sort(Comparator.comparingLong(RegisterOp::invokedAt));
    List<RegisterOp> numbered = new ArrayList<>();
    for (RegisterOp op : history) {
      numbered.add(new RegisterOp(numbered.size(), op.client(), op.key(), op.command(), op.outcome(),
          op.invokedAt(), op.completedAt()));
    }
    return numbered;
  }

  /**
   * The same history with one read changed to return a value that two completed writes
   * later had certainly overwritten (values are unique, so nothing could write it again).
   */
  static List<RegisterOp> withOneStaleRead(List<RegisterOp> history) {
    List<RegisterOp> writes = history.stream()
        .filter(op -> op.completed() && op.command() instanceof Command.Write).toList();
    for (RegisterOp first : writes) {
      for (RegisterOp second : writes) {
        if (second.invokedAt() <= first.completedAt()) {
          continue;
        }
        for (RegisterOp read : history) {
          if (read.completed() && read.command() instanceof Command.Read
              && read.invokedAt() > second.completedAt()) {
            String stale = ((Command.Write) first.command()).value();
            List<RegisterOp> broken = new ArrayList<>(history);
            broken.set(broken.indexOf(read), new RegisterOp(read.id(), read.client(), read.key(),
                read.command(), new Outcome.ReadValue(stale), read.invokedAt(), read.completedAt()));
            return broken;
          }
        }
      }
    }
    throw new IllegalStateException("history too short to inject a stale read");
  }
}
