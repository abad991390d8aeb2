package io.shardkv.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar on the terminal, redrawn a few times a second: done fraction (of
 * the count or of the duration), operations, current rate and errors. Silent when disabled
 * (tests, output piped to a file).
 */
final class Progress implements AutoCloseable {
  private static final int WIDTH = 30;
  private final ScheduledExecutorService timer;
  private final PrintStream out;

  /**
   * Starts redrawing. {@code fraction} reports 0..1 done; {@code ops} and {@code errors} are
   * running totals.
   */
  Progress(boolean enabled, String label, PrintStream out, java.util.function.DoubleSupplier fraction,
      LongSupplier ops, LongSupplier errors) {
    this.out = out;
    if (!enabled) {
      timer = null;
      return;
    }
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "progress");
      t.setDaemon(true);
      return t;
    });
    long start = System.nanoTime();
    long[] last = {0, start};
    timer.scheduleAtFixedRate(() -> {
      long now = System.nanoTime();
      long n = ops.getAsLong();
      double rate = (n - last[0]) / ((now - last[1]) / 1e9);
      last[0] = n;
      last[1] = now;
      double f = Math.max(0, Math.min(1, fraction.getAsDouble()));
      int filled = (int) Math.round(f * WIDTH);
      out.print(String.format(Locale.ROOT, "\r%-22s [%s%s] %3.0f%% %,d ops %,.0f ops/s err %d   ",
          label, "#".repeat(filled), " ".repeat(WIDTH - filled), f * 100, n, rate, errors.getAsLong()));
      out.flush();
    }, 250, 250, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
      out.print("\r" + " ".repeat(100) + "\r");
      out.flush();
    }
  }
}
