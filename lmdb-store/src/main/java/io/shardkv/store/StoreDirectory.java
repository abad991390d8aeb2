package io.shardkv.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The directory of one shard replica's store, holding numbered generations ({@code gen-1},
 * {@code gen-2}, ...) of the LMDB environment and a {@code CURRENT} file naming the live one.
 *
 * <p>Replacing the store (a snapshot restore or install) fills a new generation and then
 * switches {@code CURRENT} with an atomic rename, so a crash at any moment leaves either the
 * old or the new environment live, never a half-replaced one.
 */
public final class StoreDirectory {
  static final String CURRENT = "CURRENT";
  private static final String PREFIX = "gen-";
  private final Path root;

  public StoreDirectory(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /** The live generation, or empty when there is no store (never created, or removed). */
  public Optional<Path> current() throws IOException {
    Path pointer = root.resolve(CURRENT);
    if (!Files.exists(pointer)) {
      return Optional.empty();
    }
    String name = Files.readString(pointer, StandardCharsets.UTF_8).trim();
    Path generation = root.resolve(name);
    if (!name.startsWith(PREFIX) || !Files.isRegularFile(generation.resolve(LmdbShardStore.DATA_FILE))) {
      return Optional.empty();
    }
    return Optional.of(generation);
  }

  /** Creates a new, empty generation directory to fill. */
  public Path prepareNext() throws IOException {
    Files.createDirectories(root);
    long next = generations().stream().mapToLong(StoreDirectory::number).max().orElse(0) + 1;
    return Files.createDirectory(root.resolve(PREFIX + next));
  }

  /**
   * Makes {@code generation} the live store: flushes its files, switches {@code CURRENT}
   * atomically and durably, then removes the other generations.
   */
  public void activate(Path generation) throws IOException {
    try (Stream<Path> files = Files.list(generation)) {
      for (Path f : files.toList()) {
        fsync(f);
      }
    }
    fsync(generation);
    Path tmp = root.resolve(CURRENT + ".tmp");
    Files.writeString(tmp, generation.getFileName().toString(), StandardCharsets.UTF_8);
    fsync(tmp);
    try {
      Files.move(tmp, root.resolve(CURRENT), StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the file system of " + root + " cannot rename atomically", e);
    }
    fsync(root);
    removeInactive();
  }

  /** Deletes generations that are not live (left over by a crash during a replace). */
  public void removeInactive() throws IOException {
    Optional<Path> live = current();
    for (Path g : generations()) {
      if (live.isEmpty() || !live.get().equals(g)) {
        deleteRecursively(g);
      }
    }
  }

  private List<Path> generations() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p)).toList();
    }
  }

  private static long number(Path generation) {
    try {
      return Long.parseLong(generation.getFileName().toString().substring(PREFIX.length()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** fsync of a file or a directory (Linux allows opening directories for force). */
  public static void fsync(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** Deletes a file tree if present. */
  public static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
