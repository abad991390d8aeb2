package io.shardkv.raft.routing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs an idempotent call again, after a pause, while its answer says "try again" or it fails,
 * until a deadline; each attempt gets at most {@code attemptNanos} before it counts as failed.
 * The bound matters because some Ratis futures are never completed: a follower's read-index
 * request to a leader that steps down before it applied its first entry waits forever, and an
 * unbounded attempt would hold the whole request until its deadline, although the next leader
 * would have answered at once.
 *
 * @param <T> the answer
 */
final class IdempotentRetry<T> {
  private final Supplier<CompletableFuture<T>> attempt;
  private final Predicate<T> tryAgain;
  private final long attemptNanos;
  private final long pauseNanos;
  private final LongSupplier nanoClock;

  /**
   * @param attempt starts one attempt; called again for every retry
   * @param tryAgain answers that mean the call should be repeated (a group without a leader)
   * @param attemptNanos how long one attempt may take before it is abandoned and repeated
   * @param pauseNanos the wait between two attempts
   * @param nanoClock {@link System#nanoTime()} outside tests
   */
  IdempotentRetry(Supplier<CompletableFuture<T>> attempt, Predicate<T> tryAgain, long attemptNanos,
      long pauseNanos, LongSupplier nanoClock) {
    this.attempt = attempt;
    this.tryAgain = tryAgain;
    this.attemptNanos = attemptNanos;
    this.pauseNanos = pauseNanos;
    this.nanoClock = nanoClock;
  }

  /**
   * The first answer that needs no retry, or the last answer or failure once the next attempt
   * could not start before {@code deadlineNanos} (on {@code nanoClock}). An abandoned attempt's
   * late answer is ignored.
   */
  CompletableFuture<T> runUntil(long deadlineNanos) {
    long remaining = deadlineNanos - nanoClock.getAsLong();
    CompletableFuture<T> bounded = attempt.get().copy()
        .orTimeout(Math.max(1, Math.min(attemptNanos, remaining)), TimeUnit.NANOSECONDS);
    return bounded.handle((answer, failure) -> {
      boolean retry = (failure != null || tryAgain.test(answer))
          && nanoClock.getAsLong() + pauseNanos < deadlineNanos;
      if (!retry) {
        return failure == null ? CompletableFuture.completedFuture(answer) : CompletableFuture.<T>failedFuture(failure);
      }
      return pause().thenCompose(ignored -> runUntil(deadlineNanos));
    }).thenCompose(f -> f);
  }

  /** Completes after the pause, without holding a thread meanwhile. */
  private CompletableFuture<Void> pause() {
    return CompletableFuture.runAsync(() -> { },
        CompletableFuture.delayedExecutor(pauseNanos, TimeUnit.NANOSECONDS));
  }

}
