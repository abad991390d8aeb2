package io.shardkv.server;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.shardkv.server.ShardkvConfig.Tls;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Builds the gRPC TLS contexts of one node from its PEM files. */
final class TlsContexts {
  private TlsContexts() {}

  /**
   * The client port: presents the node's certificate; asks for a client certificate signed by
   * the trusted CA (admin identity), and requires one if configured.
   */
  static SslContext server(Tls tls) {
    try {
      return GrpcSslContexts.forServer(tls.files().certChain().toFile(), tls.files().privateKey().toFile())
          .trustManager(tls.files().trustCa().toFile())
          .clientAuth(tls.requireClientCert() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("TLS server context from " + tls.files(), e);
    }
  }

  /** Node-to-node calls (snapshot transfer, health of peers): mutual TLS with the node's identity. */
  static SslContext client(Tls tls) {
    try {
      return GrpcSslContexts.forClient()
          .trustManager(tls.files().trustCa().toFile())
          .keyManager(tls.files().certChain().toFile(), tls.files().privateKey().toFile())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("TLS client context from " + tls.files(), e);
    }
  }
}
