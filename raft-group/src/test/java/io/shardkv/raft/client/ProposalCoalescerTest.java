package io.shardkv.raft.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.CompareAndSetCommand;
import io.shardkv.api.raft.v1.MutationList;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.api.raft.v1.StoreMutation;
import io.shardkv.raft.command.ShardCommandExecutor;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.InMemoryShardStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProposalCoalescerTest {
  /** Holds each proposed entry until the test answers it, applying it to an in-memory store. */
  private static final class HeldGroups implements ShardGroupClient {
    final InMemoryShardStore store = new InMemoryShardStore();
    final ShardCommandExecutor executor = new ShardCommandExecutor();
    final List<RaftCommand> proposed = new ArrayList<>();
    final List<CompletableFuture<RaftCommandResult>> replies = new ArrayList<>();
    long index;

    @Override
    public int shardCount() {
      return 1;
    }

    @Override
    public synchronized CompletableFuture<RaftCommandResult> submit(int shard, RaftCommand command) {
      proposed.add(command);
      CompletableFuture<RaftCommandResult> reply = new CompletableFuture<>();
      replies.add(reply);
      return reply;
    }

    /** Applies and answers the {@code i}-th proposed entry. */
    void answer(int i) {
      RaftCommand command;
      CompletableFuture<RaftCommandResult> reply;
      synchronized (this) {
        command = proposed.get(i);
        reply = replies.get(i);
      }
      reply.complete(executor.execute(store, command, new AppliedIndex(1, ++index)));
    }

    void fail(int i, RuntimeException e) {
      CompletableFuture<RaftCommandResult> reply;
      synchronized (this) {
        reply = replies.get(i);
      }
      reply.completeExceptionally(e);
    }

    @Override
    public CompletableFuture<RaftQueryResult> query(int shard, RaftQuery query, ReadConsistency consistency) {
      return CompletableFuture.completedFuture(executor.query(store, query));
    }
  }

  private final HeldGroups groups = new HeldGroups();
  private final MetricRegistry metrics = new MetricRegistry();

  private static RaftCommand put(String key, String value) {
    return RaftCommand.newBuilder().setMutations(MutationList.newBuilder().addMutations(StoreMutation.newBuilder()
        .setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value)))).build();
  }

  private static RaftCommand delete(String key) {
    return RaftCommand.newBuilder().setMutations(MutationList.newBuilder().addMutations(StoreMutation.newBuilder()
        .setKey(ByteString.copyFromUtf8(key)))).build();
  }

  private static RaftCommand cas(String key, String expected, String value) {
    return RaftCommand.newBuilder().setCompareAndSet(CompareAndSetCommand.newBuilder()
        .setKey(ByteString.copyFromUtf8(key)).setExpected(ByteString.copyFromUtf8(expected))
        .setValue(ByteString.copyFromUtf8(value))).build();
  }

  @Test
  void aLoneCommandIsProposedAtOnceAndUnwrapped() throws Exception {
    ProposalCoalescer c = new ProposalCoalescer(groups, new ProposalPolicy(1, 100, 1 << 20), metrics);
    CompletableFuture<RaftCommandResult> r = c.submit(0, put("a", "1"));
    assertThat(groups.proposed).containsExactly(put("a", "1"));
    groups.answer(0);
    assertThat(r.get(1, TimeUnit.SECONDS).hasMutations()).isTrue();
  }

  @Test
  void commandsArrivingWhileTheSlotsAreFullGoOutAsOneEntryWithOneResultEach() throws Exception {
    ProposalCoalescer c = new ProposalCoalescer(groups, new ProposalPolicy(1, 100, 1 << 20), metrics);
    CompletableFuture<RaftCommandResult> first = c.submit(0, put("k", "v0"));
    CompletableFuture<RaftCommandResult> del = c.submit(0, delete("k"));
    CompletableFuture<RaftCommandResult> delAgain = c.submit(0, delete("k"));
    CompletableFuture<RaftCommandResult> casFails = c.submit(0, cas("k", "v0", "x"));
    assertThat(groups.proposed).hasSize(1);

    groups.answer(0);
    assertThat(groups.proposed).hasSize(2);
    assertThat(groups.proposed.get(1).getCoalesced().getCommandsList())
        .containsExactly(delete("k"), delete("k"), cas("k", "v0", "x"));
    assertThat(del).isNotDone();
    groups.answer(1);

    assertThat(first.get(1, TimeUnit.SECONDS).getIndex()).isEqualTo(1);
    assertThat(del.get(1, TimeUnit.SECONDS).getMutations().getExisted(0)).isTrue();
    assertThat(delAgain.get(1, TimeUnit.SECONDS).getMutations().getExisted(0)).isFalse();
    assertThat(casFails.get(1, TimeUnit.SECONDS).getCompareAndSet().getSucceeded()).isFalse();
    assertThat(del.get().getIndex()).isEqualTo(2);
    assertThat(metrics.histogram(MetricNames.proposalCommands(0)).getSnapshot().getMax()).isEqualTo(3);
  }

  @Test
  void upToMaxInFlightEntriesArePipelined() {
    ProposalCoalescer c = new ProposalCoalescer(groups, new ProposalPolicy(3, 100, 1 << 20), metrics);
    for (int i = 0; i < 10; i++) {
      c.submit(0, put("k" + i, "v"));
    }
    assertThat(groups.proposed).hasSize(3);
    groups.answer(1);
    assertThat(groups.proposed).hasSize(4);
    assertThat(groups.proposed.get(3).getCoalesced().getCommandsCount()).isEqualTo(7);
  }

  @Test
  void anEntryIsBoundedByCommandCountAndBytes() {
    ProposalCoalescer byCount = new ProposalCoalescer(groups, new ProposalPolicy(1, 4, 1 << 20), metrics);
    for (int i = 0; i < 10; i++) {
      byCount.submit(0, put("k" + i, "v"));
    }
    groups.answer(0);
    assertThat(groups.proposed.get(1).getCoalesced().getCommandsCount()).isEqualTo(4);
    groups.answer(1);
    assertThat(groups.proposed.get(2).getCoalesced().getCommandsCount()).isEqualTo(4);
    groups.answer(2);
    assertThat(groups.proposed.get(3)).isEqualTo(put("k9", "v"));

    HeldGroups other = new HeldGroups();
    int oneCommand = put("k0", "x".repeat(100)).getSerializedSize();
    ProposalCoalescer byBytes = new ProposalCoalescer(other, new ProposalPolicy(1, 100, oneCommand * 3), metrics);
    for (int i = 0; i < 8; i++) {
      byBytes.submit(0, put("k" + i, "x".repeat(100)));
    }
    other.answer(0);
    assertThat(other.proposed.get(1).getCoalesced().getCommandsCount()).isEqualTo(3);
    byBytes.submit(0, put("big", "y".repeat(oneCommand * 5))); // larger than the bound: still sent
    other.answer(1);
    assertThat(other.proposed.get(2).getCoalesced().getCommandsCount()).isEqualTo(3);
    other.answer(2);
    assertThat(other.proposed.get(3)).isEqualTo(put("k7", "x".repeat(100))); // k7 + big is over the bound
    other.answer(3);
    assertThat(other.proposed.get(4)).isEqualTo(put("big", "y".repeat(oneCommand * 5)));
  }

  @Test
  void aFailedEntryFailsEveryCommandInItAndTheLaneKeepsGoing() throws Exception {
    ProposalCoalescer c = new ProposalCoalescer(groups, new ProposalPolicy(1, 100, 1 << 20), metrics);
    c.submit(0, put("a", "1"));
    CompletableFuture<RaftCommandResult> b = c.submit(0, put("b", "1"));
    CompletableFuture<RaftCommandResult> d = c.submit(0, put("d", "1"));
    groups.answer(0);
    groups.fail(1, new ShardUnavailableException(0, "no leader", null));
    assertThat(b).failsWithin(1, TimeUnit.SECONDS).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(ShardUnavailableException.class);
    assertThat(d).isCompletedExceptionally();

    CompletableFuture<RaftCommandResult> e = c.submit(0, put("e", "1"));
    groups.answer(2);
    assertThat(e.get(1, TimeUnit.SECONDS).hasMutations()).isTrue();
  }
}
