package io.shardkv.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's 1, 5 and 15 minute load averages, printed beside every result. */
final class LoadAverage {
  private LoadAverage() {}

  /** "1.02 0.88 0.61", or "unknown" where /proc/loadavg does not exist. */
  static String now() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      return "unknown";
    }
  }
}
