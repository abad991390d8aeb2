package io.shardkv.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.hash.HashCode;
import com.google.common.hash.Hashing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Murmur3PairTest {

  /** The digest's stored values depend on this: the fast path must equal the reference hash. */
  @Test
  void equalsGuavasMurmur3OverLengthKeyAndValueForEverySizeAroundTheBlockBoundaries() {
    SplittableRandom random = new SplittableRandom(42);
    for (int keyLength = 0; keyLength <= 40; keyLength++) {
      for (int valueLength = 0; valueLength <= 70; valueLength++) {
        check(bytes(random, keyLength), bytes(random, valueLength));
      }
    }
    for (int i = 0; i < 200; i++) {
      check(bytes(random, random.nextInt(300)), bytes(random, random.nextInt(5000)));
    }
  }

  private static void check(byte[] key, byte[] value) {
    HashCode reference = Hashing.murmur3_128(PairHash.SEED).newHasher()
        .putInt(key.length).putBytes(key).putBytes(value).hash();
    ByteBuffer b = ByteBuffer.wrap(reference.asBytes()).order(ByteOrder.LITTLE_ENDIAN);
    long[] fast = Murmur3Pair.hash(PairHash.SEED, key, value);
    assertThat(fast).as("key %d bytes, value %d bytes", key.length, value.length)
        .containsExactly(b.getLong(0), b.getLong(8));
  }

  private static byte[] bytes(SplittableRandom random, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) random.nextInt(256);
    }
    return b;
  }
}
