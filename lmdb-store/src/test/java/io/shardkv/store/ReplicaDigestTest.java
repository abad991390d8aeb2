package io.shardkv.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplicaDigestTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void addingThenRemovingAPairLeavesTheDigestUnchangedAcrossTheCarry() {
    ReplicaDigest nearOverflow = new ReplicaDigest(7, -1L, 3);
    PairHash h = new PairHash(1, 5);
    ReplicaDigest plus = nearOverflow.plus(h);
    assertThat(plus).isEqualTo(new ReplicaDigest(9, 4, 4)); // the low word carried into the high
    assertThat(plus.minus(h)).isEqualTo(nearOverflow);
  }

  @Test
  void theSumIsOrderIndependent() {
    PairHash a = PairHash.of(b("a"), b("1"));
    PairHash c = PairHash.of(b("c"), b("3"));
    PairHash d = PairHash.of(b("d"), b("4"));
    assertThat(ReplicaDigest.EMPTY.plus(a).plus(c).plus(d)).isEqualTo(ReplicaDigest.EMPTY.plus(d).plus(a).plus(c));
  }

  @Test
  void theKeyLengthSeparatesPairsWithTheSameConcatenation() {
    assertThat(PairHash.of(b("ab"), b("c"))).isNotEqualTo(PairHash.of(b("a"), b("bc")));
  }

  @Test
  void theRecordRoundTripsAndRefusesWhatItCannotRead() {
    ReplicaDigest d = new ReplicaDigest(-5, 42, 7);
    assertThat(DigestSchema.decode(DigestSchema.encode(d))).contains(d);
    assertThat(DigestSchema.decode(null)).isEmpty();
    byte[] other = DigestSchema.encode(d);
    other[0] = 2;
    assertThatThrownBy(() -> DigestSchema.decode(other)).isInstanceOf(StoreException.class).hasMessageContaining("version");
    assertThatThrownBy(() -> DigestSchema.decode(new byte[3])).isInstanceOf(StoreException.class);
  }

  @Test
  void hexIsThe128BitSumBigEndian() {
    assertThat(new ReplicaDigest(1, 255, 0).hex()).isEqualTo("0000000000000001" + "00000000000000ff");
  }
}
