package io.shardkv.raft.coldstart;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.coldstart.ColdStartDecision.Outcome;
import io.shardkv.raft.coldstart.ColdStartDecision.Reason;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.MetaRead;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ColdStartGateTest {
  private final ColdStartGate gate = new ColdStartGate();
  private static final Optional<AppliedIndex> S = Optional.of(new AppliedIndex(2, 100));

  private static StoreProbe meta(long index) {
    return new StoreProbe.Opened(new MetaRead.Present(new AppliedIndex(2, index)));
  }

  @Test
  void invariant6_coldStartGate_skipsWhenMetaIsAtOrPastTheSnapshot() {
    assertThat(gate.decide(meta(100), S).outcome()).isEqualTo(Outcome.SKIPPED);
    ColdStartDecision ahead = gate.decide(meta(150), S);
    assertThat(ahead.outcome()).isEqualTo(Outcome.SKIPPED);
    assertThat(ahead.reason()).isEmpty();
    assertThat(ahead.durable()).contains(new AppliedIndex(2, 150));
    assertThat(gate.decide(meta(7), Optional.empty()).outcome()).isEqualTo(Outcome.SKIPPED);
  }

  @Test
  void invariant6_coldStartGate_restoresWithExactlyOneReason() {
    assertThat(gate.decide(new StoreProbe.NoStore(), S).reason()).contains(Reason.NO_STORE);
    assertThat(gate.decide(new StoreProbe.Unreadable("EIO"), S).reason()).contains(Reason.READ_ERROR);
    assertThat(gate.decide(new StoreProbe.Opened(new MetaRead.Missing()), S).reason())
        .contains(Reason.MISSING_META);
    assertThat(gate.decide(new StoreProbe.Opened(new MetaRead.Corrupt("2 bytes")), S).reason())
        .contains(Reason.CORRUPT_META);
    ColdStartDecision behind = gate.decide(meta(99), S);
    assertThat(behind.reason()).contains(Reason.BEHIND_SNAPSHOT);
    assertThat(behind.outcome()).isEqualTo(Outcome.RESTORED);
    assertThat(behind.durable()).contains(new AppliedIndex(2, 99));
    assertThat(behind.snapshot()).isEqualTo(S);
  }

  @Test
  void invariant6_coldStartGate_neverSkipsOnDoubtEvenWithoutASnapshot() {
    assertThat(gate.decide(new StoreProbe.Opened(new MetaRead.Corrupt("bad")), Optional.empty()).outcome())
        .isEqualTo(Outcome.RESTORED);
    assertThat(gate.decide(new StoreProbe.Opened(new MetaRead.Missing()), Optional.empty()).outcome())
        .isEqualTo(Outcome.RESTORED);
    assertThat(gate.decide(new StoreProbe.Unreadable("x"), Optional.empty()).outcome())
        .isEqualTo(Outcome.RESTORED);
  }
}
