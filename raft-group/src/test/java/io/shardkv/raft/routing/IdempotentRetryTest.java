package io.shardkv.raft.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdempotentRetryTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  /** The attempts handed out, in order; each test completes them (or not) as it needs. */
  private final List<CompletableFuture<String>> attempts = new ArrayList<>();

  private IdempotentRetry<String> retry(long attemptNanos) {
    return new IdempotentRetry<>(() -> {
      CompletableFuture<String> f = new CompletableFuture<>();
      synchronized (attempts) {
        attempts.add(f);
      }
      return f;
    }, "no leader"::equals, attemptNanos, MS, System::nanoTime);
  }

  private CompletableFuture<String> attempt(int i) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      synchronized (attempts) {
        if (attempts.size() > i) {
          return attempts.get(i);
        }
      }
      Thread.sleep(1);
    }
    throw new AssertionError("attempt " + i + " never started");
  }

  @Test
  void anAttemptThatNeverAnswersIsAbandonedAndTheNextOneAnswers() throws Exception {
    CompletableFuture<String> result = retry(50 * MS).runUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(20));

    attempt(0); // left hanging, as a lost Ratis read-index future is
    attempt(1).complete("value");

    assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("value");
    attempt(0).complete("late");
    assertThat(result.get()).isEqualTo("value");
  }

  @Test
  void answersThatSayTryAgainAreRetriedAndFailuresToo() throws Exception {
    CompletableFuture<String> result = retry(TimeUnit.SECONDS.toNanos(10))
        .runUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(20));

    attempt(0).complete("no leader");
    attempt(1).completeExceptionally(new IllegalStateException("connection reset"));
    attempt(2).complete("value");

    assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("value");
    assertThat(attempts).hasSize(3);
  }

  @Test
  void atTheDeadlineTheLastAnswerIsReturnedAsItIs() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    IdempotentRetry<String> alwaysLeaderless = new IdempotentRetry<>(
        () -> CompletableFuture.completedFuture(calls.incrementAndGet() > 0 ? "no leader" : "?"),
        "no leader"::equals, TimeUnit.SECONDS.toNanos(1), MS, System::nanoTime);

    String answer = alwaysLeaderless.runUntil(System.nanoTime() + 100 * MS).get(10, TimeUnit.SECONDS);

    assertThat(answer).isEqualTo("no leader");
    assertThat(calls.get()).isGreaterThan(1);
  }

  @Test
  void anAttemptStillUnansweredAtTheDeadlineFailsWithATimeout() throws Exception {
    CompletableFuture<String> result = retry(TimeUnit.SECONDS.toNanos(10)).runUntil(System.nanoTime() + 100 * MS);

    attempt(0); // never answers; its bound is the deadline, not the 10 s per attempt

    assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TimeoutException.class);
    assertThat(attempts).hasSize(1);
  }
}
