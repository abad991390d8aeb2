package io.shardkv.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a command keeps its clusters' data and logs: the directory the user named (kept
 * afterwards, to look at the logs), or a temporary one that is deleted at the end, since a
 * restart run can leave gigabytes behind.
 */
record WorkDir(Path path, boolean temporary) implements AutoCloseable {

  /** {@code named} if not empty, else a new temporary directory with {@code prefix}. */
  static WorkDir of(String named, String prefix) throws IOException {
    return named.isEmpty() ? new WorkDir(Files.createTempDirectory(prefix), true)
        : new WorkDir(Path.of(named), false);
  }

  @Override
  public void close() throws IOException {
    if (temporary) {
      ShardkvRestartBench.deleteTree(path);
    }
  }
}
