package io.shardkv.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Disk usage of a directory: allocated blocks (like du), since LMDB and etcd files can be sparse. */
final class DiskUsage {
  private DiskUsage() {}

  static long mib(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    ProcessBuilder pb = new ProcessBuilder("du", "-sk", dir.toString()).redirectErrorStream(true);
    try {
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Long.parseLong(out.split("\\s+")[0]) / 1024;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } catch (NumberFormatException e) {
      // du unavailable: fall back to apparent sizes.
      try (Stream<Path> files = Files.walk(dir)) {
        return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum() >> 20;
      }
    }
  }
}
