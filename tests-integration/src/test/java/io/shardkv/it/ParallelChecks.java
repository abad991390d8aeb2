package io.shardkv.it;

import java.util.Collection;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Runs independent checks (reads of acknowledged keys, each asserted on its own) from a few
 * threads at once. A read waits mostly for its round trip, so one thread left the cores idle for
 * seconds in the tests that read back hundreds of keys through every node; every item is still
 * checked with the same assertion. Stops at the first failure, which it rethrows.
 */
final class ParallelChecks {
  private static final int THREADS = 4;

  private ParallelChecks() {}

  /**
   * Whether {@code test} holds for every item, asked from a few threads; false at the first item
   * it does not hold for (or that throws, e.g. a node still starting), as in an Await condition.
   */
  static <T> boolean allMatch(Collection<T> items, Predicate<T> test) {
    try {
      forEach(items, item -> {
        if (!test.test(item)) {
          throw new NotYet();
        }
      });
      return true;
    } catch (RuntimeException e) { // NotYet, or a read that failed
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** An item the condition does not hold for yet. */
  private static final class NotYet extends RuntimeException {
    NotYet() {
      super(null, null, false, false);
    }
  }

  static <T> void forEach(Collection<T> items, Consumer<T> check) throws InterruptedException {
    List<T> list = List.copyOf(items);
    AtomicInteger next = new AtomicInteger();
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    Thread[] threads = new Thread[Math.min(THREADS, list.size())];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> {
        for (int i; failures.isEmpty() && (i = next.getAndIncrement()) < list.size(); ) {
          try {
            check.accept(list.get(i));
          } catch (Throwable e) {
            failures.add(e);
          }
        }
      }, "check-" + t);
      threads[t].setDaemon(true);
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    Throwable first = failures.poll();
    if (first == null) {
      return;
    }
    failures.forEach(first::addSuppressed);
    if (first instanceof Error e) {
      throw e;
    }
    if (first instanceof RuntimeException e) {
      throw e;
    }
    throw new AssertionError(first);
  }
}
