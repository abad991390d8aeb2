package io.shardkv.it;

import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.PutRequest;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The class-data sharing archive every node JVM of the tests maps (AppCDS, as {@code bin/shardkv}
 * uses by default): trained once per test JVM by a one-node cluster that serves a few writes and
 * then stops cleanly, dumping the classes it loaded (about 10 s). Mapping it halves a node's
 * start-up CPU (3.3-3.8 s to 1.8 s for a one-node start on this 2-core machine, C1 only), and
 * the suite starts a node a couple of hundred times; classes only a multi-node cluster needs
 * load from the jars as before. If training fails the nodes run without it.
 *
 * <p>The node's class path is the test JVM's without its directories: an archive covers jar
 * files only, and a node needs none of the test classes. {@code -Dshardkv.it.node-class-archive=off}
 * turns the archive off (to compare, or to rule it out).
 */
final class NodeClassArchive {
  private static Optional<Path> archive;

  private NodeClassArchive() {}

  /** The node JVM's class path: every jar of this JVM's class path, in order. */
  static String classPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> e.endsWith(".jar") && Files.isRegularFile(Path.of(e)))
        .collect(Collectors.joining(File.pathSeparator));
  }

  /** The flags that make a node JVM map the archive, training it first if this JVM has not. */
  static synchronized List<String> jvmOptions() {
    if (archive == null) {
      archive = "off".equals(System.getProperty("shardkv.it.node-class-archive")) ? Optional.empty() : train();
    }
    return archive.map(a -> List.of("-XX:SharedArchiveFile=" + a, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"))
        .orElse(List.of());
  }

  private static Optional<Path> train() {
    long start = System.nanoTime();
    try {
      Path dir = Files.createTempDirectory("shardkv-node-classes");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
      Path trained = dir.resolve("node.jsa");
      try (ProcessCluster cluster = ProcessCluster.withoutClassArchive(Files.createDirectory(dir.resolve("cluster")))) {
        cluster.start(0, "-XX:ArchiveClassesAtExit=" + trained);
        cluster.awaitServing(0);
        for (int i = 0; i < 20; i++) { // the write and read paths
          String key = "train-" + i;
          cluster.kv(0).put(PutRequest.newBuilder().setKey(ClusterTest.bytes(key)).setValue(ClusterTest.bytes("v"))
              .build());
          cluster.kv(0).get(GetRequest.newBuilder().setKey(ClusterTest.bytes(key)).build());
        }
        cluster.stop(0); // SIGTERM: the JVM writes its archive as it exits
      }
      if (Files.isRegularFile(trained) && Files.size(trained) > 0) {
        System.out.printf("NodeClassArchive: trained in %.1f s (%d MiB)%n", (System.nanoTime() - start) / 1e9,
            Files.size(trained) >> 20);
        return Optional.of(trained);
      }
      System.err.println("NodeClassArchive: no archive was written; nodes start without one");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.err.println("NodeClassArchive: training interrupted, nodes start without an archive");
    } catch (IOException | RuntimeException | AssertionError e) {
      System.err.println("NodeClassArchive: training failed, nodes start without an archive: " + e);
    }
    return Optional.empty();
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: the OS cleans it eventually
    }
  }
}
