package io.shardkv.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/** Client-side use of the documented shard function: CRC32C(key) mod shards. */
final class Keys {
  private Keys() {}

  static int shardOf(String key) {
    return shardOf(key, ProcessCluster.SHARDS);
  }

  static int shardOf(String key, int shards) {
    CRC32C crc = new CRC32C();
    crc.update(key.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % shards);
  }

  static List<String> inShard(int shard, int count, String prefix) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < count; i++) {
      String k = prefix + "-" + i;
      if (shardOf(k) == shard) {
        keys.add(k);
      }
    }
    return keys;
  }
}
