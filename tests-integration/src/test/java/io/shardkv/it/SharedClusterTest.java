package io.shardkv.it;

import io.shardkv.store.StoreDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Base of the multi-process tests whose methods share one cluster, for classes where what a
 * test checks does not need nodes that never ran another test: starting a cluster costs every
 * node's start-up CPU on a 2-core machine. Before each test every node runs and is SERVING
 * (a node a test killed or stopped is started again); the cluster is closed after the class,
 * and its directory (node logs and data) is kept if any test failed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SharedClusterTest extends ClusterTest {
  private Path clusterDir;
  private boolean anyFailed;

  @RegisterExtension
  final TestWatcher keepDirOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      anyFailed = true;
    }
  };

  /** The class's cluster, in {@code dir} (which outlives each test, unlike ClusterTest's). */
  abstract ProcessCluster createCluster(Path dir) throws Exception;

  @BeforeEach
  void everyNodeServing() throws Exception {
    if (cluster == null) {
      clusterDir = Files.createTempDirectory(getClass().getSimpleName() + "-");
      cluster = createCluster(clusterDir);
    }
    for (int node = 0; node < cluster.size(); node++) {
      if (!cluster.alive(node)) {
        cluster.start(node);
      }
    }
    for (int node = 0; node < cluster.size(); node++) {
      cluster.awaitServing(node);
    }
  }

  /** Replaces ClusterTest's per-test close: the cluster outlives each test. */
  @AfterEach
  @Override
  void stopCluster() {
  }

  @AfterAll
  void closeSharedCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
    if (clusterDir != null && !anyFailed) {
      StoreDirectory.deleteRecursively(clusterDir);
    } else if (clusterDir != null) {
      System.out.println(getClass().getSimpleName() + ": cluster directory kept: " + clusterDir);
    }
  }
}
