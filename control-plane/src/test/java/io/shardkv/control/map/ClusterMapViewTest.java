package io.shardkv.control.map;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapNode;
import io.shardkv.raft.topology.NodeDirectory;
import io.shardkv.raft.topology.PeerAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ClusterMapViewTest {
  /** No periodic read during a test: only the first one and those a peer's version asks for. */
  private static final Duration NEVER = Duration.ofHours(1);

  private final NodeDirectory directory = new NodeDirectory(List.of(new PeerAddress("n1", "127.0.0.1", 9001, 7001)));
  private final ClusterMapView view = new ClusterMapView(directory);
  /** The version the fake meta group holds, and a record of each read. */
  private final AtomicLong metaVersion = new AtomicLong(1);
  private final LinkedBlockingQueue<Long> reads = new LinkedBlockingQueue<>();

  private ClusterMap read() {
    long v = metaVersion.get();
    reads.add(v);
    return ClusterMap.newBuilder().setVersion(v)
        .addNodes(MapNode.newBuilder().setId("n" + v).setHost("127.0.0.1").setRaftPort(9000 + (int) v)).build();
  }

  @Test
  void aNewerMapNeverGivesWayToAnOlderOne() {
    view.offer(ClusterMap.newBuilder().setVersion(5).build());
    view.offer(ClusterMap.newBuilder().setVersion(3).build());
    assertThat(view.version()).isEqualTo(5);
  }

  @Test
  void aPeerThatHasSeenANewerVersionMakesTheNodeReadTheMapAtOnce() throws Exception {
    // A node is learned after the map that adds it is cached: seeing n4 here means version 4 is.
    LinkedBlockingQueue<String> learned = new LinkedBlockingQueue<>();
    directory.onNewNode(p -> learned.add(p.id()));
    view.startRefreshing(this::read, NEVER);
    try {
      assertThat(reads.poll(10, TimeUnit.SECONDS)).as("the first read").isEqualTo(1);
      metaVersion.set(4);
      view.heardOf(4);
      assertThat(reads.poll(10, TimeUnit.SECONDS)).as("the read a newer version asked for").isEqualTo(4);
      assertThat(learned.poll(10, TimeUnit.SECONDS)).as("the node the new map adds").isEqualTo("n4");
      assertThat(view.version()).isEqualTo(4);
    } finally {
      view.close();
    }
  }

  @Test
  void aVersionTheNodeAlreadyHasAsksForNothing() throws Exception {
    view.startRefreshing(this::read, NEVER);
    try {
      assertThat(reads.poll(10, TimeUnit.SECONDS)).isEqualTo(1);
      view.heardOf(1);
      view.heardOf(0);
      // Reads run one at a time on one thread, in the order asked: had 1 or 0 asked for one, it
      // would come before the read 2 asks for.
      metaVersion.set(2);
      view.heardOf(2);
      assertThat(reads.poll(10, TimeUnit.SECONDS)).as("the only read asked for").isEqualTo(2);
      assertThat(reads).isEmpty();
    } finally {
      view.close();
    }
  }

  @Test
  void beforeItRefreshesOrAfterItClosesAPeersVersionIsIgnored() {
    view.heardOf(9); // not started: nothing to read with, and no failure
    view.startRefreshing(this::read, NEVER);
    view.close();
    view.heardOf(10);
    assertThat(view.version()).isLessThanOrEqualTo(1);
  }
}
