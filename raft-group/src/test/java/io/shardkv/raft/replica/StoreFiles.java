package io.shardkv.raft.replica;

import io.shardkv.store.StoreDirectory;
import java.nio.file.Path;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.Txn;

/** Damages a stopped replica's store the way the cold-start tests need, below the store's API. */
final class StoreFiles {
  private StoreFiles() {}

  static Path liveGeneration(Path storeRoot) throws Exception {
    return new StoreDirectory(storeRoot).current().orElseThrow();
  }

  /** Removes the meta record (missing_meta) or overwrites it with {@code value} (corrupt_meta). */
  static void setMeta(Path storeRoot, byte[] value) throws Exception {
    try (Env<byte[]> env = Env.create(ByteArrayProxy.PROXY_BA).setMaxDbs(2).setMapSize(64L << 20)
        .open(liveGeneration(storeRoot).toFile())) {
      Dbi<byte[]> meta = env.openDbi("meta");
      try (Txn<byte[]> txn = env.txnWrite()) {
        if (value == null) {
          meta.delete(txn, "applied_index".getBytes());
        } else {
          meta.put(txn, "applied_index".getBytes(), value);
        }
        txn.commit();
      }
    }
  }
}
