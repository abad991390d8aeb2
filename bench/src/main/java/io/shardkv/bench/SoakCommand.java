package io.shardkv.bench;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code shardkv-bench soak}: puts from many clients into a 3-node cluster while one node after
 * another is killed with SIGKILL and restarted, then reads every acknowledged key back. Reports
 * acknowledged writes lost (must be 0), errors by status and when they happened relative to the
 * kills, and how long throughput took to recover after each kill. A client that gets an error
 * backs off 50 ms and retries the same key through the next node.
 */
final class SoakCommand {
  /** A client's pause after an error before it retries through the next node. */
  private static final long RETRY_BACKOFF_MS = 50;

  private SoakCommand() {}

  /** One kill: when, which node, and when it served again (seconds since the start). */
  private record Kill(int node, double at, double servingAgain) {}

  static void run(Args a, PrintStream out) throws Exception {
    Duration length = a.duration("duration", "10m");
    Duration killEvery = a.duration("kill-every", "60s");
    int clients = a.integer("clients", 256);
    int channels = a.integer("channels", 4);
    int valueBytes = a.integer("value-bytes", 1024);
    String heap = a.string("heap", "512m");
    String dirName = a.string("dir", "");
    a.rejectUnknown();

    try (WorkDir work = WorkDir.of(dirName, "shardkv-soak-");
        ShardkvCluster cluster = new ShardkvCluster(work.path().resolve("shardkv"), 3, 4, heap, "")) {
      cluster.startAll(Duration.ofSeconds(120));
      int seconds = (int) length.toSeconds() + 1;
      AtomicLongArray okPerSecond = new AtomicLongArray(seconds + 600);
      AtomicLongArray errorsPerSecond = new AtomicLongArray(seconds + 600);
      Map<Status.Code, AtomicLong> errorsByCode = new ConcurrentHashMap<>();
      BitSet[] acked = new BitSet[clients];
      AtomicBoolean stop = new AtomicBoolean();
      long start = System.nanoTime();
      byte[] value = LoadGenerator.value(valueBytes, 7);
      List<Thread> threads = new ArrayList<>();
      try (ShardkvTarget target = new ShardkvTarget(cluster.addresses(), channels)) {
        for (int c = 0; c < clients; c++) {
          int client = c;
          acked[c] = new BitSet();
          Thread t = new Thread(() -> {
            // Like a real client: after an error, back off briefly and go to the next node (its
            // connection is one of the target's channels), then retry the same key: a put of the
            // same value is idempotent, and only an answered put counts as acknowledged.
            int via = client;
            KvClient kv = target.client(via);
            for (int i = 0; !stop.get(); ) {
              try {
                kv.put(key(client, i), value);
                synchronized (acked[client]) {
                  acked[client].set(i);
                }
                okPerSecond.incrementAndGet(second(start));
                i++;
              } catch (RuntimeException e) {
                Status.Code code = e instanceof StatusRuntimeException sre ? sre.getStatus().getCode() : Status.Code.UNKNOWN;
                errorsByCode.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
                errorsPerSecond.incrementAndGet(second(start));
                kv = target.client(++via);
                try {
                  Thread.sleep(RETRY_BACKOFF_MS);
                } catch (InterruptedException ie) {
                  return;
                }
              }
            }
          }, "soak-client-" + c);
          t.setDaemon(true);
          t.start();
          threads.add(t);
        }

        List<Kill> kills = new ArrayList<>();
        for (int k = 0; elapsed(start) + killEvery.toSeconds() <= length.toSeconds(); k++) {
          Thread.sleep(Math.max(0, (long) ((k + 1) * killEvery.toMillis() - elapsed(start) * 1000)));
          int node = k % 3;
          double at = elapsed(start);
          cluster.kill(node);
          cluster.start(node);
          cluster.awaitServing(node, Duration.ofSeconds(120));
          kills.add(new Kill(node, at, elapsed(start)));
          out.printf("soak: t=%.0fs killed n%d (kill -9), serving again after %.1f s%n", at, node + 1,
              elapsed(start) - at);
        }
        Thread.sleep(Math.max(0, length.toMillis() - (long) (elapsed(start) * 1000)));
        stop.set(true);
        for (Thread t : threads) {
          t.join(60_000);
        }
        double ran = elapsed(start);
        report(out, okPerSecond, errorsPerSecond, errorsByCode, kills, (int) ran, clients);
        verify(out, target, acked);
      }
    }
  }

  private static void report(PrintStream out, AtomicLongArray ok, AtomicLongArray errors,
      Map<Status.Code, AtomicLong> byCode, List<Kill> kills, int seconds, int clients) {
    long total = 0;
    for (int s = 0; s < seconds; s++) {
      total += ok.get(s);
    }
    out.printf("soak: %d clients, %d s, %d acknowledged puts (%.0f/s)%n", clients, seconds, total,
        total / (double) seconds);
    Map<String, Long> codes = new TreeMap<>();
    byCode.forEach((c, n) -> codes.put(c.name(), n.get()));
    out.println("soak: errors by status: " + (codes.isEmpty() ? "none" : codes));
    long errorsAway = 0;
    for (int s = 0; s < seconds; s++) {
      int second = s;
      if (errors.get(s) > 0
          && kills.stream().noneMatch(k -> second >= (int) k.at() - 1 && second <= (int) k.servingAgain() + 5)) {
        errorsAway += errors.get(s);
      }
    }
    out.println("soak: errors outside [kill - 1 s, node serving again + 5 s]: " + errorsAway);
    out.println("| kill at s | node | node serving after s | errors in window | ops/s 10 s before | recovered to 80% after s |");
    out.println("|---:|---|---:|---:|---:|---:|");
    for (Kill k : kills) {
      int at = (int) k.at();
      double before = 0;
      for (int s = Math.max(0, at - 10); s < at; s++) {
        before += ok.get(s);
      }
      before /= Math.min(10, Math.max(1, at));
      long windowErrors = 0;
      for (int s = Math.max(0, at - 1); s <= Math.min(seconds - 1, (int) k.servingAgain() + 5); s++) {
        windowErrors += errors.get(s);
      }
      int recovered = -1;
      for (int s = at + 1; s < seconds; s++) {
        if (ok.get(s) >= 0.8 * before) {
          recovered = s - at;
          break;
        }
      }
      out.printf("| %d | n%d | %.1f | %d | %.0f | %s |%n", at, k.node() + 1, k.servingAgain() - k.at(),
          windowErrors, before, recovered < 0 ? "not within the run" : Integer.toString(recovered));
    }
  }

  /**
   * Reads every acknowledged key back from 64 threads: a stale read of the node's own replica
   * first (fast), and for a key it does not find, a linearizable read, which settles whether the
   * write is really gone or the replica was only behind.
   */
  private static void verify(PrintStream out, ShardkvTarget target, BitSet[] acked) throws InterruptedException {
    AtomicLong checked = new AtomicLong();
    AtomicLong lost = new AtomicLong();
    AtomicLong unreadable = new AtomicLong();
    List<Thread> readers = new ArrayList<>();
    int readerCount = 64;
    for (int r = 0; r < readerCount; r++) {
      int reader = r;
      KvClient kv = target.client(r);
      Thread t = new Thread(() -> {
        for (int client = reader; client < acked.length; client += readerCount) {
          BitSet keys = acked[client];
          for (int i = keys.nextSetBit(0); i >= 0; i = keys.nextSetBit(i + 1)) {
            Boolean found = read(kv, key(client, i), true);
            if (!Boolean.TRUE.equals(found)) {
              found = read(kv, key(client, i), false);
            }
            if (found == null) {
              unreadable.incrementAndGet();
            } else if (!found) {
              lost.incrementAndGet();
            }
            checked.incrementAndGet();
          }
        }
      }, "soak-verify-" + r);
      t.start();
      readers.add(t);
    }
    for (Thread t : readers) {
      t.join();
    }
    out.printf("soak: read back %d acknowledged keys: %d lost, %d unreadable after 20 tries%n",
        checked.get(), lost.get(), unreadable.get());
  }

  /** Whether {@code key} exists; null if no answer came in 20 tries (a leader change meanwhile). */
  private static Boolean read(KvClient kv, byte[] key, boolean stale) {
    for (int attempt = 0; attempt < 20; attempt++) {
      try {
        return kv.get(key, stale);
      } catch (RuntimeException e) {
        // try again
      }
    }
    return null;
  }

  private static byte[] key(int client, int i) {
    return ("soak-" + client + "-" + i).getBytes(StandardCharsets.US_ASCII);
  }

  private static int second(long start) {
    return (int) ((System.nanoTime() - start) / 1_000_000_000L);
  }

  private static double elapsed(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
