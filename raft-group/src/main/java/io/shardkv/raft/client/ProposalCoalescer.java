package io.shardkv.raft.client;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import io.shardkv.api.raft.v1.CommandList;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.raft.metrics.MetricNames;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Coalesces concurrent commands to the same shard into one Raft entry, so the per-entry cost of
 * Raft (append, flush, replication, apply) is paid once for many clients. Each caller still gets
 * its own result; the commands apply in the order they arrived, all in one transaction.
 *
 * <p>Batching is natural, not timed: while fewer than {@link ProposalPolicy#maxInFlightPerShard}
 * entries of a shard are in flight a command is proposed at once (a lone client pays no wait);
 * otherwise it waits for the next free slot and goes out with everything that queued meanwhile,
 * bounded by command count and bytes. A failure of a coalesced entry fails all its commands
 * with the same exception, so their outcome is as unknown to each caller as a timed-out single
 * command's.
 *
 * <p>Reads pass through unchanged.
 */
public final class ProposalCoalescer implements ShardGroupClient {
  private record Waiting(RaftCommand command, int bytes, CompletableFuture<RaftCommandResult> result) {}

  /** One shard's queue; guarded by its own monitor. */
  private static final class Lane {
    final ArrayDeque<Waiting> queue = new ArrayDeque<>();
    final Histogram commandsPerEntry;
    int inFlight;

    Lane(Histogram commandsPerEntry) {
      this.commandsPerEntry = commandsPerEntry;
    }
  }

  private final ShardGroupClient groups;
  private final ProposalPolicy policy;
  private final Lane[] lanes;

  public ProposalCoalescer(ShardGroupClient groups, ProposalPolicy policy, MetricRegistry metrics) {
    this.groups = groups;
    this.policy = policy;
    this.lanes = new Lane[groups.shardCount()];
    for (int s = 0; s < lanes.length; s++) {
      lanes[s] = new Lane(metrics.histogram(MetricNames.proposalCommands(s)));
    }
  }

  @Override
  public int shardCount() {
    return groups.shardCount();
  }

  @Override
  public CompletableFuture<RaftCommandResult> submit(int shard, RaftCommand command) {
    if (command.hasCoalesced()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("command is already coalesced"));
    }
    Lane lane = lanes[shard];
    Waiting waiting = new Waiting(command, command.getSerializedSize(), new CompletableFuture<>());
    List<Waiting> entry = null;
    synchronized (lane) {
      lane.queue.add(waiting);
      if (lane.inFlight < policy.maxInFlightPerShard()) {
        entry = takeEntry(lane);
      }
    }
    if (entry != null) {
      propose(shard, lane, entry);
    }
    return waiting.result();
  }

  /** Removes the next entry's commands from the queue and counts it in flight. Holds the lane. */
  private List<Waiting> takeEntry(Lane lane) {
    List<Waiting> entry = new ArrayList<>();
    long bytes = 0;
    while (!lane.queue.isEmpty() && entry.size() < policy.maxCommandsPerEntry()) {
      Waiting next = lane.queue.peek();
      if (!entry.isEmpty() && bytes + next.bytes() > policy.maxEntryBytes()) {
        break;
      }
      entry.add(lane.queue.poll());
      bytes += next.bytes();
    }
    lane.inFlight++;
    lane.commandsPerEntry.update(entry.size());
    return entry;
  }

  private void propose(int shard, Lane lane, List<Waiting> entry) {
    RaftCommand command = entry.size() == 1 ? entry.get(0).command()
        : RaftCommand.newBuilder().setCoalesced(CommandList.newBuilder()
            .addAllCommands(entry.stream().map(Waiting::command).toList())).build();
    CompletableFuture<RaftCommandResult> sent;
    try {
      sent = groups.submit(shard, command);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((result, error) -> {
      deliver(entry, result, error);
      List<Waiting> next = null;
      synchronized (lane) {
        lane.inFlight--;
        if (!lane.queue.isEmpty()) {
          next = takeEntry(lane);
        }
      }
      if (next != null) {
        propose(shard, lane, next);
      }
    });
  }

  private static void deliver(List<Waiting> entry, RaftCommandResult result, Throwable error) {
    if (error != null) {
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      entry.forEach(w -> w.result().completeExceptionally(cause));
    } else if (entry.size() == 1) {
      entry.get(0).result().complete(result);
    } else if (result.getCoalesced().getResultsCount() != entry.size()) {
      IllegalStateException e = new IllegalStateException("coalesced entry at " + result.getIndex() + " answered "
          + result.getCoalesced().getResultsCount() + " results for " + entry.size() + " commands");
      entry.forEach(w -> w.result().completeExceptionally(e));
    } else {
      for (int i = 0; i < entry.size(); i++) {
        entry.get(i).result().complete(result.getCoalesced().getResults(i));
      }
    }
  }

  @Override
  public CompletableFuture<RaftQueryResult> query(int shard, RaftQuery query, ReadConsistency consistency) {
    return groups.query(shard, query, consistency);
  }
}
