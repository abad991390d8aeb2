package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.it.RegisterOp.Command;
import io.shardkv.it.RegisterOp.Outcome;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The checker on hand-made histories with a known answer, both ways, so that a passing
 * {@link LinearizabilityIT} cannot mean a checker that accepts everything.
 */
class LinearizabilityCheckerTest {
  private final LinearizabilityChecker checker = new LinearizabilityChecker(1_000_000);
  private final List<RegisterOp> history = new ArrayList<>();

  private void op(String key, Command c, Outcome o, long from, long to) {
    history.add(new RegisterOp(history.size(), history.size(), key, c, o, from, to));
  }

  private void write(String v, long from, long to) {
    op("k", new Command.Write(v), new Outcome.Written(), from, to);
  }

  private void writeUnknown(String v, long from) {
    op("k", new Command.Write(v), new Outcome.Unknown(), from, RegisterOp.NEVER);
  }

  private void read(String v, long from, long to) {
    op("k", new Command.Read(), new Outcome.ReadValue(v), from, to);
  }

  private void cas(String expected, String v, boolean ok, String current, long from, long to) {
    op("k", new Command.Cas(expected, v), new Outcome.CasResult(ok, current), from, to);
  }

  private void delete(boolean existed, long from, long to) {
    op("k", new Command.Delete(), new Outcome.Deleted(existed), from, to);
  }

  private LinearizabilityChecker.Result check() {
    return checker.check(history);
  }

  @Test
  void sequentialHistoryOfEveryOperationIsLinearizable() {
    read(null, 0, 1);
    write("a", 2, 3);
    read("a", 4, 5);
    cas("a", "b", true, "b", 6, 7);
    cas("a", "c", false, "b", 8, 9);
    cas(null, "d", false, "b", 10, 11);
    delete(true, 12, 13);
    delete(false, 14, 15);
    cas(null, "e", true, "e", 16, 17);
    read("e", 18, 19);
    assertThat(check().linearizable()).as(check().describe()).isTrue();
  }

  @Test
  void readConcurrentWithAWriteMaySeeEitherValue() {
    write("a", 0, 10);
    write("b", 20, 40);
    read("a", 25, 30);
    read("b", 26, 35);
    assertThat(check().linearizable()).as(check().describe()).isTrue();
  }

  @Test
  void staleReadAfterACompletedWriteIsNotLinearizable() {
    write("a", 0, 10);
    write("b", 20, 30);
    read("a", 40, 50);
    LinearizabilityChecker.Result r = check();
    assertThat(r.verdict()).isEqualTo(LinearizabilityChecker.Verdict.NOT_LINEARIZABLE);
    assertThat(r.key()).isEqualTo("k");
    assertThat(r.describe()).contains("read -> a");
  }

  @Test
  void readOfAbsentAfterACompletedWriteIsNotLinearizable() {
    write("a", 0, 10);
    read(null, 20, 30);
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void readsThatSeeTwoConcurrentWritesInOppositeOrdersAreNotLinearizable() {
    write("a", 0, 100);
    write("b", 0, 100);
    read("a", 10, 20); // so a came first ...
    read("b", 30, 40); // ... then b, which must be final ...
    read("a", 110, 120); // ... but after both writes ended, a again
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void twoReadersDisagreeingOnTheOrderOfConcurrentWritesAreNotLinearizable() {
    write("a", 0, 100);
    write("b", 0, 100);
    read("a", 10, 20);
    read("b", 30, 40);
    read("b", 10, 20);
    read("a", 30, 40);
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void casThatSucceedsOnAnOverwrittenValueIsNotLinearizable() {
    write("a", 0, 10);
    write("b", 20, 30);
    cas("a", "c", true, "c", 40, 50);
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void casThatFailsWhileTheExpectedValueIsThereIsNotLinearizable() {
    write("a", 0, 10);
    cas("a", "c", false, "a", 20, 30);
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void failedCasReportingAValueNobodyCouldSeeIsNotLinearizable() {
    write("a", 0, 10);
    write("b", 20, 30);
    cas("x", "c", false, "a", 40, 50); // the reply's current value is a stale read
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void deleteThatMisreportsExistenceIsNotLinearizable() {
    write("a", 0, 10);
    delete(false, 20, 30);
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void concurrentCasesOnTheSameValueCannotBothSucceed() {
    write("a", 0, 10);
    cas("a", "b", true, "b", 20, 40);
    cas("a", "c", true, "c", 21, 41);
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void indeterminateWriteMayHaveTakenEffect() {
    write("a", 0, 10);
    writeUnknown("b", 20);
    read("b", 30, 40);
    read("b", 50, 60);
    assertThat(check().linearizable()).as(check().describe()).isTrue();
  }

  @Test
  void indeterminateWriteMayNeverHaveTakenEffect() {
    write("a", 0, 10);
    writeUnknown("b", 20);
    read("a", 30, 40);
    read("a", 1_000, 1_010);
    assertThat(check().linearizable()).as(check().describe()).isTrue();
  }

  @Test
  void indeterminateWriteMayTakeEffectLongAfterItsClientGaveUp() {
    write("a", 0, 10);
    writeUnknown("b", 20);
    read("a", 30, 40);
    write("c", 50, 60);
    read("b", 1_000, 1_010); // the write was retried inside the cluster and landed late
    assertThat(check().linearizable()).as(check().describe()).isTrue();
  }

  @Test
  void indeterminateWriteOnceSeenCannotBeUnseen() {
    write("a", 0, 10);
    writeUnknown("b", 20);
    read("b", 30, 40);
    read("a", 50, 60);
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void indeterminateWriteCannotBeSeenBeforeItWasInvoked() {
    write("a", 0, 10);
    read("b", 12, 18);
    writeUnknown("b", 20);
    assertThat(check().linearizable()).isFalse();
  }

  @Test
  void indeterminateCasMayOrMayNotHaveApplied() {
    write("a", 0, 10);
    op("k", new Command.Cas("a", "b"), new Outcome.Unknown(), 20, RegisterOp.NEVER);
    read("b", 30, 40);
    assertThat(check().linearizable()).as(check().describe()).isTrue();
    history.remove(history.size() - 1);
    read("a", 30, 40);
    assertThat(check().linearizable()).as(check().describe()).isTrue();
  }

  @Test
  void keysAreIndependentRegisters() {
    op("x", new Command.Write("a"), new Outcome.Written(), 0, 10);
    op("y", new Command.Read(), new Outcome.ReadValue(null), 20, 30);
    assertThat(check().linearizable()).as(check().describe()).isTrue();
    op("y", new Command.Read(), new Outcome.ReadValue("a"), 40, 50);
    LinearizabilityChecker.Result r = check();
    assertThat(r.linearizable()).isFalse();
    assertThat(r.key()).isEqualTo("y");
  }

  @Test
  void largeConcurrentHistoriesAreCheckedQuicklyBothWays() {
    Random random = new Random(42);
    for (int round = 0; round < 5; round++) {
      List<RegisterOp> ok = RandomHistory.linearizable(random, 6, 600, "k" + round);
      long start = System.nanoTime();
      LinearizabilityChecker.Result r = checker.check(ok);
      assertThat(r.linearizable()).as(r.describe()).isTrue();
      assertThat(System.nanoTime() - start).as("check time (ns)").isLessThan(5_000_000_000L);

      List<RegisterOp> broken = RandomHistory.withOneStaleRead(ok);
      assertThat(checker.check(broken).verdict()).as("after injecting a stale read")
          .isEqualTo(LinearizabilityChecker.Verdict.NOT_LINEARIZABLE);
    }
  }

  @Test
  void exhaustedBudgetIsReportedAsUnknownNotAsAPass() {
    List<RegisterOp> ok = RandomHistory.linearizable(new Random(7), 6, 600, "k");
    LinearizabilityChecker.Result r = new LinearizabilityChecker(10).check(ok);
    assertThat(r.verdict()).isEqualTo(LinearizabilityChecker.Verdict.UNKNOWN);
    assertThat(r.linearizable()).isFalse();
  }

  /** Sanity of the generator: its histories are ordered by invocation and complete. */
  @Test
  void generatedHistoriesContainIndeterminateOperations() {
    List<RegisterOp> ok = RandomHistory.linearizable(new Random(1), 6, 600, "k");
    assertThat(ok).anyMatch(op -> !op.completed());
    assertThat(ok).isSortedAccordingTo(Comparator.comparingInt(RegisterOp::id));
  }
}
