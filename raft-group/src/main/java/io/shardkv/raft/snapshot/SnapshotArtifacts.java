package io.shardkv.raft.snapshot;

import io.shardkv.store.AppliedIndex;
import io.shardkv.store.StoreDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A shard's snapshot artifacts on disk: {@code snapshot.<term>_<index>/data.mdb} with a SHA-256
 * beside it. An artifact appears only by an atomic rename of a complete, flushed staging
 * directory, so a directory with that name is always whole.
 */
public final class SnapshotArtifacts implements ArtifactStore {
  public static final String DATA_FILE = "data.mdb";
  static final String CHECKSUM_FILE = "data.mdb.sha256";
  private static final Pattern NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");
  private static final String STAGING_PREFIX = "staging-";
  /** A fetched artifact not yet installed: invisible to the cold-start gate until promoted. */
  private static final String PENDING_PREFIX = "fetched.";
  private static final Pattern PENDING = Pattern.compile("fetched\\.(\\d+)_(\\d+)");

  private final Path dir;
  private final int keep;

  public SnapshotArtifacts(Path dir, int keep) throws IOException {
    if (keep < 1) {
      throw new IllegalArgumentException("must keep at least one snapshot, got " + keep);
    }
    this.dir = Files.createDirectories(dir);
    this.keep = keep;
  }

  /**
   * Removes staging directories and fetched-but-not-installed artifacts a crash left behind: an
   * install that did not finish is redone by Ratis, which also resets its log for it.
   */
  public void removeStaging() throws IOException {
    for (Path p : list()) {
      String name = p.getFileName().toString();
      if (name.startsWith(STAGING_PREFIX) || name.startsWith(PENDING_PREFIX)) {
        StoreDirectory.deleteRecursively(p);
      }
    }
  }

  /** Saves a fetched artifact as pending install (checksummed, flushed, renamed into place). */
  public SnapshotArtifact savePending(AppliedIndex at, Path staging) throws IOException {
    return saveAs(PENDING_PREFIX, at, staging);
  }

  /** The newest fetched artifact waiting to be installed, if any. */
  public Optional<SnapshotArtifact> pending() throws IOException {
    return list().stream()
        .map(p -> parse(PENDING, p))
        .flatMap(Optional::stream)
        .filter(a -> Files.isRegularFile(a.dir().resolve(CHECKSUM_FILE)))
        .max(Comparator.comparingLong(a -> a.index().index()));
  }

  /** Turns an installed pending artifact into an ordinary snapshot artifact. */
  public SnapshotArtifact promote(SnapshotArtifact pending) throws IOException {
    Path target = dir.resolve("snapshot." + pending.index().term() + "_" + pending.index().index());
    if (Files.exists(target)) {
      StoreDirectory.deleteRecursively(pending.dir());
    } else {
      Files.move(pending.dir(), target, StandardCopyOption.ATOMIC_MOVE);
      StoreDirectory.fsync(dir);
    }
    return new SnapshotArtifact(pending.index(), target);
  }

  @Override
  public Path newStagingDir() throws IOException {
    return Files.createDirectory(dir.resolve(STAGING_PREFIX + UUID.randomUUID()));
  }

  @Override
  public SnapshotArtifact save(AppliedIndex at, Path staging) throws IOException {
    return saveAs("snapshot.", at, staging);
  }

  private SnapshotArtifact saveAs(String prefix, AppliedIndex at, Path staging) throws IOException {
    Path data = staging.resolve(DATA_FILE);
    Files.deleteIfExists(staging.resolve("lock.mdb"));
    Files.writeString(staging.resolve(CHECKSUM_FILE), sha256Hex(data), StandardCharsets.US_ASCII);
    StoreDirectory.fsync(data);
    StoreDirectory.fsync(staging.resolve(CHECKSUM_FILE));
    StoreDirectory.fsync(staging);
    Path target = dir.resolve(prefix + at.term() + "_" + at.index());
    if (Files.exists(target)) {
      StoreDirectory.deleteRecursively(staging); // the same index was saved before
      return new SnapshotArtifact(at, target);
    }
    try {
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the file system of " + dir + " cannot rename atomically", e);
    }
    StoreDirectory.fsync(dir);
    return new SnapshotArtifact(at, target);
  }

  @Override
  public Optional<SnapshotArtifact> latest() throws IOException {
    List<SnapshotArtifact> all = all();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Every complete artifact, oldest first. */
  public List<SnapshotArtifact> all() throws IOException {
    return list().stream()
        .map(p -> parse(NAME, p))
        .flatMap(Optional::stream)
        .filter(a -> Files.isRegularFile(a.dataFile()) && Files.isRegularFile(a.dir().resolve(CHECKSUM_FILE)))
        .sorted(Comparator.comparingLong(a -> a.index().index()))
        .toList();
  }

  @Override
  public void verify(SnapshotArtifact artifact) throws IOException {
    String expected = Files.readString(artifact.dir().resolve(CHECKSUM_FILE), StandardCharsets.US_ASCII).trim();
    String actual = sha256Hex(artifact.dataFile());
    if (!expected.equals(actual)) {
      throw new IOException("snapshot " + artifact.dir() + " fails its checksum (expected " + expected
          + ", got " + actual + ")");
    }
  }

  @Override
  public void retain() throws IOException {
    List<SnapshotArtifact> all = all();
    for (int i = 0; i < all.size() - keep; i++) {
      StoreDirectory.deleteRecursively(all.get(i).dir());
    }
  }

  private static Optional<SnapshotArtifact> parse(Pattern pattern, Path p) {
    Matcher m = pattern.matcher(p.getFileName().toString());
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new SnapshotArtifact(
        new AppliedIndex(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))), p));
  }

  private List<Path> list() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  /** SHA-256 of a file, hex encoded. */
  static String sha256Hex(Path file) throws IOException {
    MessageDigest digest = newSha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
