package io.shardkv.bench;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps writing small keys through one client until closed, so a SIGKILL lands while writes
 * are in flight. Failures after the kill are expected and ignored.
 */
final class BackgroundWriter implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong acknowledged = new AtomicLong();
  private final Thread thread;

  BackgroundWriter(KvClient client, String prefix) {
    thread = new Thread(() -> {
      byte[] value = LoadGenerator.value(256, 42);
      for (long i = 0; running.get(); i++) {
        try {
          client.put((prefix + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII), value);
          acknowledged.incrementAndGet();
        } catch (RuntimeException e) {
          // Expected once the server is killed; the writer stops when closed.
        }
      }
    }, "background-writer");
    thread.start();
  }

  /** Waits until {@code n} writes were acknowledged, so the kill really interrupts a stream of writes. */
  void awaitAcknowledged(long n) {
    Await.until(java.time.Duration.ofSeconds(60), n + " background writes", () -> acknowledged.get() >= n);
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(30_000);
  }
}
