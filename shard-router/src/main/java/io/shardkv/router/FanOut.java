package io.shardkv.router;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** Future plumbing shared by the router's single-shard and fan-out calls. */
final class FanOut {

  private FanOut() {}

  /**
   * Completes with every future's value, in input order, once all have succeeded; fails as soon
   * as any one fails, with that failure (unwrapped). Failing fast lets the caller answer the
   * client without waiting for the other shards, which cannot change the outcome any more.
   */
  static <T> CompletableFuture<List<T>> all(List<CompletableFuture<T>> futures) {
    CompletableFuture<List<T>> result = new CompletableFuture<>();
    int n = futures.size();
    if (n == 0) {
      result.complete(List.of());
      return result;
    }
    // Each slot is written by one callback; the atomic countdown publishes them to the last one.
    AtomicReferenceArray<T> values = new AtomicReferenceArray<>(n);
    AtomicInteger remaining = new AtomicInteger(n);
    for (int i = 0; i < n; i++) {
      int slot = i;
      futures.get(i).whenComplete((value, error) -> {
        if (error != null) {
          result.completeExceptionally(unwrap(error)); // first failure wins; later ones are no-ops
          return;
        }
        values.set(slot, value);
        if (remaining.decrementAndGet() == 0) {
          List<T> ordered = new ArrayList<>(n);
          for (int j = 0; j < n; j++) {
            ordered.add(values.get(j));
          }
          result.complete(Collections.unmodifiableList(ordered));
        }
      });
    }
    return result;
  }

  /**
   * The same outcome as {@code future}, but a failure carries the original exception rather than
   * the {@link CompletionException} that {@code thenApply}/{@code thenCompose} wrap it in, so a
   * caller's {@code whenComplete} sees e.g. {@code ShardUnavailableException} directly.
   */
  static <T> CompletableFuture<T> unwrapped(CompletableFuture<T> future) {
    CompletableFuture<T> result = new CompletableFuture<>();
    future.whenComplete((value, error) -> {
      if (error != null) {
        result.completeExceptionally(unwrap(error));
      } else {
        result.complete(value);
      }
    });
    return result;
  }

  /** Strips the wrappers the future machinery adds around a cause. */
  static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
