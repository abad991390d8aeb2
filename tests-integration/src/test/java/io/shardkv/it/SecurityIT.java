package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.MetadataUtils;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.TakeSnapshotRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.assertj.core.api.ThrowingConsumer;

/**
 * TLS on the client port and mutual TLS between the nodes (Raft and snapshot transfer), with
 * admin calls allowed only for an admin client certificate or the admin token. Three node
 * processes; certificates come from a throw-away CA made by the test. The tests share one
 * cluster.
 */
class SecurityIT extends SharedClusterTest {
  private static final String TOKEN = "security-it-token-0123456789";
  private static final String ADMIN_SUBJECT = "CN=shardkv-admin,O=shardkv-it";
  private final List<ManagedChannel> opened = new ArrayList<>();
  private Path ca;
  private TestPki.Identity adminCert;
  private TestPki.Identity appCert;
  private TestPki.Identity rogueAdminCert;

  @Override
  ProcessCluster createCluster(Path dir) throws Exception {
    Path pki = Files.createDirectories(dir.resolve("pki"));
    TestPki.Authority authority = TestPki.authority("shardkv-it-ca");
    ca = TestPki.writeCa(authority, pki.resolve("ca.crt"));
    TestPki.Identity node = TestPki.issue(authority, "CN=shardkv-node", pki, "node");
    adminCert = TestPki.issue(authority, ADMIN_SUBJECT, pki, "admin");
    appCert = TestPki.issue(authority, "CN=some-app,O=shardkv-it", pki, "app");
    // Same subject as the admin, but from a CA the cluster does not trust.
    rogueAdminCert = TestPki.issue(TestPki.authority("rogue-ca"), ADMIN_SUBJECT, pki, "rogue");
    Path token = pki.resolve("admin-token");
    Files.writeString(token, TOKEN);

    ProcessCluster tls = new ProcessCluster(dir, String.join("\n",
        "security {",
        "  admin-token-file = \"" + token + "\"",
        "  admin-cert-subjects = [\"" + ADMIN_SUBJECT + "\"]",
        "  tls { enabled = true, cert-chain = \"" + node.cert() + "\", private-key = \"" + node.key() + "\",",
        "        trust-ca = \"" + ca + "\" }",
        "}"));
    tls.useChannels(port -> tlsChannel(port, null)); // the cluster's own: closed with it
    return tls;
  }

  @AfterEach
  void closeChannels() {
    opened.forEach(ManagedChannel::shutdownNow);
  }

  /** A channel the test opened: closed after the test. */
  private ManagedChannel channel(int port, TestPki.Identity clientCert) {
    ManagedChannel c = tlsChannel(port, clientCert);
    opened.add(c);
    return c;
  }

  private ManagedChannel tlsChannel(int port, TestPki.Identity clientCert) {
    try {
      SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(ca.toFile());
      if (clientCert != null) {
        ssl.keyManager(clientCert.cert().toFile(), clientCert.key().toFile());
      }
      return NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(ssl.build()).build();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private AdminGrpc.AdminBlockingStub admin(TestPki.Identity clientCert) {
    return AdminGrpc.newBlockingStub(channel(cluster.clientPort(0), clientCert))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static ThrowingConsumer<Throwable> code(Status.Code expected) {
    return e -> assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(expected);
  }

  @Test
  void clientsUseTlsAndTheNodesReplicateOverMutualTls() {
    // Writes commit, so the Raft traffic between the nodes works over mutual TLS.
    put(0, "tls-key", "v");
    assertThat(get(1, "tls-key", false)).contains("v");
    assertThat(get(2, "tls-key", true)).isPresent();

    ManagedChannel plaintext = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(0))
        .usePlaintext().build();
    opened.add(plaintext);
    assertThatThrownBy(() -> KVGrpc.newBlockingStub(plaintext).withDeadlineAfter(5, TimeUnit.SECONDS)
        .get(GetRequest.newBuilder().setKey(bytes("tls-key")).build()))
        .isInstanceOf(StatusRuntimeException.class)
        .satisfies(code(Status.Code.UNAVAILABLE));
  }

  @Test
  void adminCallsNeedAnAdminCertificateOrTheToken() {
    TakeSnapshotRequest all = TakeSnapshotRequest.newBuilder().setAll(true).build();
    // Reading status needs no credential.
    assertThat(admin(null).clusterStatus(ClusterStatusRequest.getDefaultInstance()).getShardsCount())
        .isEqualTo(ProcessCluster.SHARDS);

    assertThatThrownBy(() -> admin(null).takeSnapshot(all)).satisfies(code(Status.Code.UNAUTHENTICATED));
    assertThatThrownBy(() -> admin(appCert).takeSnapshot(all)).satisfies(code(Status.Code.PERMISSION_DENIED));
    // A certificate from an untrusted CA carrying the admin subject: with client certificates
    // optional, TLS treats an unverifiable one as absent, so the call has no credential at all.
    assertThatThrownBy(() -> admin(rogueAdminCert).takeSnapshot(all))
        .satisfies(code(Status.Code.UNAUTHENTICATED));

    assertThat(admin(adminCert).takeSnapshot(all).getSnapshotsCount()).isEqualTo(ProcessCluster.SHARDS);
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
    assertThat(admin(appCert).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .takeSnapshot(all).getSnapshotsCount()).isEqualTo(ProcessCluster.SHARDS);
  }
}
