package io.shardkv.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Where this JVM loads LMDB's native library from. Left alone, lmdbjava copies the library out
 * of its jar into a fresh temp file in every JVM and deletes it only on a clean exit, so every
 * process killed with SIGKILL (crash tests, {@code kill -9} in production) leaves a 360 KB file in
 * {@code /tmp}. Instead the library is copied once per content into
 * {@code <java.io.tmpdir>/shardkv-lmdb/} under a name made of its hash, and every later JVM
 * reuses that file through lmdbjava's {@code lmdbjava.native.lib} property.
 *
 * <p>A library the operator chose ({@code -Dlmdbjava.native.lib=...}) is left as it is.
 */
public final class LmdbNativeLibrary {
  /** lmdbjava's property naming the library file to load instead of extracting one. */
  public static final String PROPERTY = "lmdbjava.native.lib";

  private LmdbNativeLibrary() {}

  /**
   * Points lmdbjava at the shared copy of its library, writing that copy if it is missing.
   * Call before lmdbjava's first use; calling it again is harmless. Returns the library file,
   * or empty where this platform's library is not bundled (lmdbjava then reports it).
   */
  public static synchronized Optional<Path> install() {
    String chosen = System.getProperty(PROPERTY);
    if (chosen != null) {
      return Optional.of(Path.of(chosen));
    }
    Optional<String> resource = bundledResource();
    if (resource.isEmpty()) {
      return Optional.empty();
    }
    byte[] bytes;
    try (InputStream in = LmdbNativeLibrary.class.getClassLoader().getResourceAsStream(resource.get())) {
      if (in == null) {
        return Optional.empty();
      }
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + resource.get() + " from the classpath", e);
    }
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "shardkv-lmdb");
    Path file = dir.resolve("lmdb-" + sha256Prefix(bytes) + ".so");
    try {
      if (!Files.isRegularFile(file) || Files.size(file) != bytes.length) {
        Files.createDirectories(dir);
        // Write beside it and rename: a JVM starting at the same moment sees the whole file or none.
        Path partial = Files.createTempFile(dir, "lmdb-", ".partial");
        try {
          Files.write(partial, bytes);
          Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(partial);
        }
      }
    } catch (IOException e) {
      return Optional.empty(); // an unwritable temp dir: lmdbjava's own extraction still works
    }
    System.setProperty(PROPERTY, file.toString());
    return Optional.of(file);
  }

  /**
   * Installs the library and has lmdbjava bind it (jnr-ffi generates its native stubs), which
   * takes a few hundred milliseconds the first time in a JVM. A node calls this on a spare
   * thread at start so the first store open does not wait for it. Failures are left for that
   * first open to report.
   */
  public static void preload() {
    try {
      install();
      Class.forName("org.lmdbjava.Library", true, LmdbNativeLibrary.class.getClassLoader());
    } catch (ClassNotFoundException | RuntimeException | LinkageError e) {
      // the store open that follows fails with lmdbjava's own, clearer error
    }
  }

  /**
   * The classpath resource lmdbjava bundles for this platform (its own naming scheme). Derived
   * here rather than read from lmdbjava's {@code TargetName}: that class decides once, when it
   * is first loaded, whether {@link #PROPERTY} is set, so touching it before {@link #install}
   * sets the property would make lmdbjava extract a temp copy after all.
   */
  static Optional<String> bundledResource() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String cpu = switch (arch) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> null;
    };
    if (cpu == null) {
      return Optional.empty();
    }
    String platform;
    if (os.contains("linux")) {
      platform = "linux-" + (isMusl() ? "musl" : "gnu");
    } else if (os.contains("mac")) {
      platform = "macos-none";
    } else {
      return Optional.empty();
    }
    return Optional.of("org/lmdbjava/native/" + cpu + "-" + platform + ".so");
  }

  private static boolean isMusl() {
    try (var entries = Files.list(Path.of("/lib"))) {
      return entries.anyMatch(p -> p.getFileName().toString().startsWith("ld-musl-"));
    } catch (IOException e) {
      return false;
    }
  }

  private static String sha256Prefix(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
