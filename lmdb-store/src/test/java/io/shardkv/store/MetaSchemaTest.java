package io.shardkv.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MetaSchemaTest {
  @Test
  void roundTrips() {
    AppliedIndex at = new AppliedIndex(7, 123_456_789_012L);
    assertThat(MetaSchema.decode(MetaSchema.encode(at))).isEqualTo(new MetaRead.Present(at));
  }

  @Test
  void absentValueIsMissing() {
    assertThat(MetaSchema.decode(null)).isEqualTo(new MetaRead.Missing());
  }

  @Test
  void shortValueIsCorrupt() {
    assertThat(MetaSchema.decode(new byte[] {1, 2})).isInstanceOf(MetaRead.Corrupt.class);
    assertThat(MetaSchema.decode(new byte[0])).isInstanceOf(MetaRead.Corrupt.class);
  }

  @Test
  void unknownVersionIsCorrupt() {
    byte[] value = MetaSchema.encode(new AppliedIndex(1, 1));
    value[0] = 9;
    assertThat(MetaSchema.decode(value)).isInstanceOf(MetaRead.Corrupt.class);
  }

  @Test
  void negativeIndexIsCorrupt() {
    byte[] value = MetaSchema.encode(new AppliedIndex(1, 1));
    Arrays.fill(value, 9, 17, (byte) 0xFF);
    assertThat(MetaSchema.decode(value)).isInstanceOf(MetaRead.Corrupt.class);
  }
}
