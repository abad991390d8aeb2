package io.shardkv.raft.replica;

import java.util.List;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.statemachine.SnapshotInfo;

/**
 * What the state machine reports to Ratis as its latest snapshot: the {@code (term, index)}
 * the live store durably holds. Ratis starts the apply thread after it and purges the log up to
 * it. There are no files: in notify-install mode Ratis never ships them, shardkv's own transfer
 * does (see SnapshotTransferService).
 */
record DurableBaseline(TermIndex termIndex) implements SnapshotInfo {
  @Override
  public TermIndex getTermIndex() {
    return termIndex;
  }

  @Override
  public List<FileInfo> getFiles() {
    return List.of();
  }
}
