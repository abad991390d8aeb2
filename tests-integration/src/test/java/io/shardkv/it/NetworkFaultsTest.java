package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.it.LinkProxy.Direction;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What each fault of {@link NetworkFaults} blocks on which link, and the hosts files; no cluster. */
class NetworkFaultsTest {
  private final List<ServerSocket> nodePorts = new ArrayList<>();
  private NetworkFaults faults;

  @BeforeEach
  void start() throws IOException {
    List<List<Integer>> portsOf = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      // Stand-ins for a node's Raft and client ports: only their numbers matter here.
      ServerSocket raft = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      ServerSocket client = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      nodePorts.add(raft);
      nodePorts.add(client);
      portsOf.add(List.of(raft.getLocalPort(), client.getLocalPort()));
    }
    faults = new NetworkFaults(portsOf);
  }

  @AfterEach
  void stop() throws IOException {
    faults.close();
    for (int a = 0; a < 3; a++) {
      for (int b = 0; b < 3; b++) {
        if (a != b) {
          assertThat(faults.link(a, b).liveThreads()).as("threads of link %d->%d", a, b).isZero();
        }
      }
    }
    for (ServerSocket s : nodePorts) {
      s.close();
    }
  }

  @Test
  void eachNodeFindsItselfOnLoopbackAndEveryPeerAtItsLinksProxy() {
    assertThat(faults.hostsFile(0).lines()).contains("127.0.0.1 node1", "127.0.1.2 node2", "127.0.1.3 node3");
    assertThat(faults.hostsFile(2).lines()).contains("127.0.3.1 node1", "127.0.3.2 node2", "127.0.0.1 node3");
  }

  @Test
  void isolateCutsEveryLinkOfTheNodeBothWaysAndNothingElse() {
    faults.isolate(1);
    for (int other : new int[] {0, 2}) {
      assertBlocked(1, other, true, true);
      assertBlocked(other, 1, true, true);
    }
    assertBlocked(0, 2, false, false);
    assertBlocked(2, 0, false, false);
    assertThat(faults.faulty()).isTrue();

    faults.heal();
    assertNothingBlocked();
  }

  @Test
  void partitionCutsEveryLinkAcrossTheSides() {
    faults.partition(Set.of(0, 2));
    assertBlocked(0, 1, true, true);
    assertBlocked(1, 2, true, true);
    assertBlocked(0, 2, false, false);
    assertBlocked(2, 0, false, false);
  }

  @Test
  void oneWayDropsWhatOneNodeSendsOnBothLinksBetweenThem() {
    faults.cutOneWay(0, 1);
    assertBlocked(0, 1, true, false); // 0's requests on the connections it opens
    assertBlocked(1, 0, false, true); // 0's answers on the connections 1 opens
    assertBlocked(0, 2, false, false);

    faults.cutOneWay(1, 0); // both ways now: a cut
    assertBlocked(0, 1, true, true);
    assertBlocked(1, 0, true, true);
  }

  @Test
  void flappingCutsAndRestoresUntilClosedThenLeavesTheLinkRestored() {
    faults.isolate(2);
    NetworkFaults.Flapping flapping = faults.flap(0, 1, Duration.ofMillis(10));
    Await.until(Duration.ofSeconds(10), "the link cut and restored twice", () -> flapping.toggles() >= 4);
    flapping.close();
    assertBlocked(0, 1, false, false);
    assertBlocked(1, 0, false, false);
    assertBlocked(0, 2, true, true); // flapping one link leaves the other faults alone
  }

  private void assertBlocked(int from, int to, boolean forward, boolean backward) {
    LinkProxy link = faults.link(from, to);
    assertThat(link.blocked(Direction.FORWARD)).as("%s forward", link.name()).isEqualTo(forward);
    assertThat(link.blocked(Direction.BACKWARD)).as("%s backward", link.name()).isEqualTo(backward);
  }

  private void assertNothingBlocked() {
    for (int a = 0; a < 3; a++) {
      for (int b = 0; b < 3; b++) {
        if (a != b) {
          assertBlocked(a, b, false, false);
        }
      }
    }
    assertThat(faults.faulty()).isFalse();
  }
}
