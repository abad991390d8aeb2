package io.shardkv.raft.readiness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Sizes of Ratis log segment files ({@code log_<start>-<end>} closed, {@code log_inprogress_<start>}
 * open) on disk: what a restart has to read back before a group runs.
 */
public final class RaftLogFiles {
  private RaftLogFiles() {}

  /** Bytes of the segments in one group's {@code current} directory; 0 if it does not exist. */
  public static long bytesIn(Path currentDir) throws IOException {
    return bytesIn(currentDir, false);
  }

  /** Bytes of the closed segments only: what a purge after a snapshot can remove. */
  public static long closedBytesIn(Path currentDir) throws IOException {
    return bytesIn(currentDir, true);
  }

  private static long bytesIn(Path currentDir, boolean closedOnly) throws IOException {
    if (!Files.isDirectory(currentDir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(currentDir)) {
      return sum(files.filter(p -> !closedOnly || !p.getFileName().toString().startsWith("log_inprogress")));
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** Bytes of the segments of every group under a Ratis storage root; 0 if it does not exist. */
  public static long bytesUnder(Path storageRoot) throws IOException {
    if (!Files.isDirectory(storageRoot)) {
      return 0;
    }
    // <root>/<group id>/current/log_*
    try (Stream<Path> files = Files.find(storageRoot, 3, (p, a) -> a.isRegularFile())) {
      return sum(files);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static long sum(Stream<Path> files) {
    return files.filter(p -> p.getFileName().toString().startsWith("log_")).mapToLong(p -> {
      try {
        return Files.size(p);
      } catch (IOException e) {
        return 0; // purged meanwhile
      }
    }).sum();
  }
}
