package io.shardkv.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Runs a {@link Workload} against a {@link KvTarget}: one thread per client, each issuing one
 * blocking call at a time (closed loop), latencies recorded per thread in an HdrHistogram and
 * merged at the end.
 */
public final class LoadGenerator {
  /** Calls slower than this are clamped (the target's own deadline is 10 s). */
  private static final long MAX_MICROS = 60_000_000L;
  private final boolean progress;
  private final PrintStream progressOut;

  /** {@code progress}: draw a progress bar on {@code progressOut} while running. */
  public LoadGenerator(boolean progress, PrintStream progressOut) {
    this.progress = progress;
    this.progressOut = progressOut;
  }

  /** Writes every key of the workload's key space once, so reads and scans find data. */
  public void preload(KvTarget target, Workload w) throws InterruptedException {
    int writers = Math.min(w.clients(), 64);
    AtomicLong next = new AtomicLong();
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < writers; c++) {
      KvClient client = target.client(c);
      byte[] value = value(w.valueBytes(), c);
      threads.add(start("preload-" + c, () -> {
        for (long k; (k = next.getAndIncrement()) < w.keySpace() && failure.get() == null; ) {
          try {
            client.put(Keys.key(k), value);
          } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
          }
        }
      }));
    }
    try (Progress p = new Progress(progress, target.name() + " preload", progressOut,
        () -> next.get() / (double) w.keySpace(), next::get, () -> failure.get() == null ? 0 : 1)) {
      for (Thread t : threads) {
        t.join();
      }
    }
    if (failure.get() != null) {
      throw new IllegalStateException("preload of " + target.name() + " failed", failure.get());
    }
  }

  /** Runs the workload and returns its throughput and latency percentiles. */
  public LoadResult run(KvTarget target, Workload w) throws InterruptedException {
    LongAdder done = new LongAdder();
    LongAdder errors = new LongAdder();
    AtomicLong remaining = new AtomicLong(w.count());
    AtomicReference<String> firstError = new AtomicReference<>();
    long start = System.nanoTime();
    long end = w.count() > 0 ? Long.MAX_VALUE : start + w.duration().toNanos();
    List<Histogram> histograms = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < w.clients(); c++) {
      Histogram h = new Histogram(MAX_MICROS, 3);
      histograms.add(h);
      Client client = new Client(target.client(c), w, c, h, done, errors, firstError);
      threads.add(start("client-" + c,
          () -> client.loop(() -> w.count() > 0 ? remaining.getAndDecrement() > 0 : System.nanoTime() < end)));
    }
    java.util.function.DoubleSupplier fraction = w.count() > 0
        ? () -> (done.sum() + errors.sum()) / (double) w.count()
        : () -> (System.nanoTime() - start) / (double) w.duration().toNanos();
    try (Progress p = new Progress(progress, target.name() + " " + w.label() + " c=" + w.clients(),
        progressOut, fraction, done::sum, errors::sum)) {
      for (Thread t : threads) {
        t.join();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Histogram all = new Histogram(MAX_MICROS, 3);
    histograms.forEach(all::add);
    return LoadResult.of(target.name(), w, all, errors.sum(), seconds, firstError.get());
  }

  private static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.start();
    return t;
  }

  static byte[] value(int size, long seed) {
    byte[] v = new byte[size];
    new SplittableRandom(seed).nextBytes(v);
    return v;
  }

  /** One client's closed loop. Its histogram is written only by its own thread. */
  private record Client(KvClient kv, Workload w, int index, Histogram micros, LongAdder done,
      LongAdder errors, AtomicReference<String> firstError) {

    void loop(java.util.function.BooleanSupplier more) {
      SplittableRandom random = new SplittableRandom(index * 7919L + 1);
      byte[] value = value(w.valueBytes(), index);
      while (more.getAsBoolean()) {
        long key = random.nextLong(w.keySpace());
        long t0 = System.nanoTime();
        try {
          call(random, key, value);
          micros.recordValue(Math.min(MAX_MICROS, (System.nanoTime() - t0) / 1000));
          done.increment();
        } catch (RuntimeException e) {
          errors.increment();
          firstError.compareAndSet(null, e.toString());
        }
      }
    }

    private void call(SplittableRandom random, long key, byte[] value) {
      switch (w.kind()) {
        case PUT -> kv.put(Keys.key(key), value);
        case GET -> kv.get(Keys.key(key), w.stale());
        case MIXED -> {
          if (random.nextInt(100) < w.writePercent()) {
            kv.put(Keys.key(key), value);
          } else {
            kv.get(Keys.key(key), w.stale());
          }
        }
        case SCAN -> kv.scan(Keys.key(key), Keys.END, w.scanLimit(), w.stale());
      }
    }
  }
}
