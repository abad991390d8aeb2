package io.shardkv.raft;

import io.shardkv.store.ShardStore;
import java.io.IOException;

/** Opens (creating if needed) the local store of one shard replica. */
@FunctionalInterface
public interface ShardStoreOpener {
  ShardStore open(int shard) throws IOException;
}
