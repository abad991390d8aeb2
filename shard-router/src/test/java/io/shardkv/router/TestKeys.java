package io.shardkv.router;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Finds keys that land in a chosen shard, for tests that need same- or cross-shard keys. */
final class TestKeys {
  private TestKeys() {}

  static List<byte[]> inShard(ShardMap map, int shard, int count) {
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; keys.size() < count; i++) {
      byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
      if (map.shardOf(key) == shard) {
        keys.add(key);
      }
    }
    return keys;
  }
}
