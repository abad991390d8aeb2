package io.shardkv.raft.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.MutationList;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.StoreMutation;
import io.shardkv.raft.command.ShardCommandExecutor;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ApplyOutcome;
import io.shardkv.store.InMemoryShardStore;
import io.shardkv.store.LogEntryOps;
import io.shardkv.store.ScanPage;
import io.shardkv.store.ShardStore;
import io.shardkv.store.StoreException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GroupCommitApplierTest {
  private final MetricRegistry metrics = new MetricRegistry();
  private final GatedStore store = new GatedStore();
  private final List<AppliedIndex> committed = Collections.synchronizedList(new ArrayList<>());
  private final List<AppliedIndex> failedAt = Collections.synchronizedList(new ArrayList<>());
  private GroupCommitApplier applier;

  @AfterEach
  void close() {
    store.release();
    if (applier != null) {
      applier.close();
    }
  }

  private GroupCommitApplier start(int maxEntries) {
    applier = new GroupCommitApplier(0, () -> store, new ShardCommandExecutor(), maxEntries,
        new GroupCommitApplier.Listener() {
          @Override
          public void committed(AppliedIndex last, List<DigestPoint> digests) {
            committed.add(last);
          }

          @Override
          public void failed(AppliedIndex firstUnapplied, RuntimeException cause) {
            failedAt.add(firstUnapplied);
          }
        }, metrics);
    return applier;
  }

  private static RaftCommand put(String key, String value) {
    return RaftCommand.newBuilder().setMutations(MutationList.newBuilder().addMutations(StoreMutation.newBuilder()
        .setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value)))).build();
  }

  @Test
  void invariant1_oneTransaction_entriesQueuedDuringACommitLandInOneTransactionAndReplyOnlyAfterIt()
      throws Exception {
    start(1000);
    store.hold(); // the first transaction blocks until released
    CompletableFuture<RaftCommandResult> first = applier.submit(new AppliedIndex(1, 1), put("a", "1"));
    store.awaitBlocked();
    List<CompletableFuture<RaftCommandResult>> queued = new ArrayList<>();
    for (int i = 2; i <= 50; i++) {
      queued.add(applier.submit(new AppliedIndex(1, i), put("k" + i, "v")));
    }
    CompletableFuture<RaftCommandResult> noData = applier.submit(new AppliedIndex(1, 51), null);
    // Nothing may complete while the transaction holding it has not committed.
    assertThat(first).isNotDone();
    assertThat(queued).noneMatch(CompletableFuture::isDone);

    store.release();
    assertThat(first.get(10, TimeUnit.SECONDS).getIndex()).isEqualTo(1);
    for (int i = 0; i < queued.size(); i++) {
      assertThat(queued.get(i).get(10, TimeUnit.SECONDS).getIndex()).isEqualTo(i + 2);
    }
    noData.get(10, TimeUnit.SECONDS);
    assertThat(store.batchSizes).containsExactly(1, 50);
    assertThat(committed).containsExactly(new AppliedIndex(1, 1), new AppliedIndex(1, 51));
    assertThat(store.appliedIndex()).contains(new AppliedIndex(1, 51));
  }

  @Test
  void aTransactionHoldsAtMostMaxEntries() throws Exception {
    start(10);
    store.hold();
    applier.submit(new AppliedIndex(1, 1), put("a", "1"));
    store.awaitBlocked();
    CompletableFuture<RaftCommandResult> last = null;
    for (int i = 2; i <= 26; i++) {
      last = applier.submit(new AppliedIndex(1, i), put("k" + i, "v"));
    }
    store.release();
    last.get(10, TimeUnit.SECONDS);
    assertThat(store.batchSizes).containsExactly(1, 10, 10, 5);
  }

  @Test
  void repliesCompleteInLogOrder() throws Exception {
    start(1000);
    List<Long> order = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<RaftCommandResult>> all = new ArrayList<>();
    for (int i = 1; i <= 500; i++) {
      long index = i;
      all.add(applier.submit(new AppliedIndex(1, i), put("k" + i, "v")).whenComplete((r, e) -> order.add(index)));
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
    assertThat(order).isSorted().hasSize(500);
  }

  @Test
  void invariant8_neverSkipAnEntry_afterAStoreFailureNothingLaterIsAppliedAndSubmitThrows() throws Exception {
    start(1000);
    applier.submit(new AppliedIndex(1, 1), put("a", "1")).get(10, TimeUnit.SECONDS);
    store.failNext = true;
    CompletableFuture<RaftCommandResult> failing = applier.submit(new AppliedIndex(1, 2), put("b", "2"));
    assertThat(failing).failsWithin(10, TimeUnit.SECONDS);
    assertThat(failedAt).containsExactly(new AppliedIndex(1, 2));

    assertThatThrownBy(() -> applier.submit(new AppliedIndex(1, 3), put("c", "3")))
        .isInstanceOf(StoreException.class);
    assertThat(store.appliedIndex()).contains(new AppliedIndex(1, 1));
    assertThat(store.get("b".getBytes())).isEmpty();
  }

  @Test
  void entriesMustBeSubmittedInLogOrder() {
    start(1000);
    applier.submit(new AppliedIndex(1, 5), null);
    assertThatThrownBy(() -> applier.submit(new AppliedIndex(1, 5), null)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void awaitSubmittedReturnsOnceEverythingCommitted() throws Exception {
    start(1000);
    store.hold();
    CompletableFuture<RaftCommandResult> f = applier.submit(new AppliedIndex(1, 1), put("a", "1"));
    store.awaitBlocked();
    Thread waiter = new Thread(() -> {
      try {
        applier.awaitSubmitted();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    waiter.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (waiter.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(waiter.getState()).as("waiting while the entry is uncommitted").isEqualTo(Thread.State.TIMED_WAITING);
    store.release();
    waiter.join(10_000);
    assertThat(waiter.isAlive()).isFalse();
    assertThat(f).isDone();
  }

  /** An in-memory store whose transactions can be held at a gate, and made to fail. */
  private static final class GatedStore implements ShardStore {
    private final InMemoryShardStore delegate = new InMemoryShardStore();
    private final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final CountDownLatch blocked = new CountDownLatch(1);
    private volatile boolean failNext;

    void hold() {
      gate = new CountDownLatch(1);
    }

    void release() {
      gate.countDown();
    }

    void awaitBlocked() throws InterruptedException {
      assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Override
    public List<ApplyOutcome> applyBatch(List<LogEntryOps> entries) {
      blocked.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException("interrupted", e);
      }
      if (failNext) {
        throw new StoreException("disk full (test)", null);
      }
      batchSizes.add(entries.size());
      return delegate.applyBatch(entries);
    }

    @Override
    public io.shardkv.store.DigestAt digest() {
      return delegate.digest();
    }

    @Override
    public Optional<byte[]> get(byte[] key) {
      return delegate.get(key);
    }

    @Override
    public ScanPage scan(byte[] start, byte[] end, int limit) {
      return delegate.scan(start, end, limit);
    }

    @Override
    public Optional<AppliedIndex> appliedIndex() {
      return delegate.appliedIndex();
    }

    @Override
    public void close() {
      // the gate's close() above is the test's; the store itself needs no closing
    }
  }
}
