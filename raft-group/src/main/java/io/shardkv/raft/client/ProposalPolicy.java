package io.shardkv.raft.client;

/**
 * How a node coalesces concurrent commands to one shard into Raft entries
 * ({@link ProposalCoalescer}).
 *
 * @param maxInFlightPerShard entries this node has proposed to one shard and not yet seen
 *     answered; further commands wait and are coalesced into the next entry. 1 serializes a
 *     shard's proposals; more lets Ratis pipeline appends
 * @param maxCommandsPerEntry most client commands in one coalesced entry
 * @param maxEntryBytes most encoded command bytes in one coalesced entry (a single larger
 *     command is still sent, alone)
 */
public record ProposalPolicy(int maxInFlightPerShard, int maxCommandsPerEntry, int maxEntryBytes) {

  public ProposalPolicy {
    if (maxInFlightPerShard < 1 || maxCommandsPerEntry < 1 || maxEntryBytes < 1) {
      throw new IllegalArgumentException("invalid proposal policy: in flight " + maxInFlightPerShard
          + ", commands per entry " + maxCommandsPerEntry + ", entry bytes " + maxEntryBytes);
    }
  }

  /** Defaults: 4 entries in flight per shard, at most 256 commands and 1 MiB per entry. */
  public static ProposalPolicy defaults() {
    return new ProposalPolicy(4, 256, 1 << 20);
  }
}
