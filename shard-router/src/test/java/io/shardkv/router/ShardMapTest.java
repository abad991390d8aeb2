package io.shardkv.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShardMapTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void goldenValues_catchAnyChangeOfHash() {
    // Computed independently (bitwise CRC32C, polynomial 0x82F63B78). Data on disk was placed
    // with these: if this test fails, existing clusters would lose track of their keys.
    ShardMap four = new ShardMap(4);
    ShardMap sixteen = new ShardMap(16);
    ShardMap seven = new ShardMap(7);
    assertThat(four.shardOf(new byte[0])).isZero();
    assertThat(four.shardOf(utf8("a"))).isEqualTo(0);          // crc 0xC1D04330
    assertThat(seven.shardOf(utf8("a"))).isEqualTo(1);
    assertThat(four.shardOf(utf8("123456789"))).isEqualTo(3);  // crc 0xE3069283 (check value)
    assertThat(seven.shardOf(utf8("123456789"))).isEqualTo(2);
    assertThat(sixteen.shardOf(utf8("user:42"))).isEqualTo(13); // crc 0x35C33CED
    assertThat(seven.shardOf(utf8("user:42"))).isEqualTo(3);
    assertThat(four.shardOf(new byte[] {0x00, (byte) 0xFF})).isEqualTo(3); // crc 0x5C1C2483
    assertThat(sixteen.shardOf(utf8("shardkv"))).isEqualTo(13); // crc 0xCBBB7FBD
  }

  @Test
  void deterministic_acrossInstances() {
    Random random = new Random(1);
    ShardMap a = new ShardMap(5);
    ShardMap b = new ShardMap(5);
    for (int i = 0; i < 1000; i++) {
      byte[] key = new byte[1 + random.nextInt(32)];
      random.nextBytes(key);
      assertThat(a.shardOf(key)).isEqualTo(b.shardOf(key)).isEqualTo(a.shardOf(key.clone()));
    }
  }

  @Test
  void withinRange_evenForHighCrcValues() {
    // Keys whose CRC has the top bit set would go negative if the CRC were read as signed.
    Random random = new Random(2);
    for (int shards : new int[] {1, 2, 3, 7, 64, 1000}) {
      ShardMap map = new ShardMap(shards);
      for (int i = 0; i < 2000; i++) {
        byte[] key = new byte[random.nextInt(16)];
        random.nextBytes(key);
        assertThat(map.shardOf(key)).isBetween(0, shards - 1);
      }
    }
  }

  @Test
  void spread_tenThousandKeysOverFourShards() {
    ShardMap map = new ShardMap(4);
    int[] counts = new int[4];
    for (int i = 0; i < 10_000; i++) {
      counts[map.shardOf(utf8("key-" + i))]++;
    }
    for (int count : counts) {
      assertThat(count).isBetween(2_000, 3_000);
    }
  }

  @Test
  void rejectsNonPositiveShardCount() {
    assertThatThrownBy(() -> new ShardMap(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(new ShardMap(3).shardCount()).isEqualTo(3);
  }
}
