package io.shardkv.server;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.shardkv.api.v1.AdminGrpc;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets only admins make the Admin calls that change the cluster. An admin presents the node's
 * admin token as {@code authorization: Bearer <token>}, or a TLS client certificate (verified
 * against the trusted CA by the TLS layer) whose subject is one of the configured admin
 * subjects. No credential: UNAUTHENTICATED. A wrong one: PERMISSION_DENIED. The read-only
 * calls pass through; every other Admin method, including one added later, needs a credential.
 */
final class AdminAuthInterceptor implements ServerInterceptor {
  private static final Logger LOG = LoggerFactory.getLogger(AdminAuthInterceptor.class);
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  /** The Admin calls anyone may make: they change nothing. */
  static final Set<String> READ_ONLY = Set.of(
      AdminGrpc.getClusterStatusMethod().getFullMethodName(),
      AdminGrpc.getVerifyShardMethod().getFullMethodName());

  private final Optional<byte[]> token;
  private final List<X500Principal> adminSubjects;

  AdminAuthInterceptor(Optional<String> token, List<String> adminSubjects) {
    this.token = token.map(t -> t.getBytes(StandardCharsets.UTF_8));
    this.adminSubjects = adminSubjects.stream().map(X500Principal::new).toList();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (READ_ONLY.contains(method)) {
      return next.startCall(call, headers);
    }
    Status refused = check(headers.get(AUTHORIZATION), call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (refused != null) {
      LOG.warn("refused {} from {}: {}", method, call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
          refused.getDescription());
      call.close(refused, new Metadata());
      return new ServerCall.Listener<>() { };
    }
    return next.startCall(call, headers);
  }

  /** Null if the caller is an admin, else the status to refuse the call with. */
  Status check(String authorization, SSLSession tls) {
    if (authorization != null) {
      if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
        return Status.UNAUTHENTICATED.withDescription("authorization header must be 'Bearer <admin token>'");
      }
      byte[] presented = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
      if (token.isEmpty()) {
        return Status.PERMISSION_DENIED.withDescription(
            "this node has no admin token configured (shardkv.security.admin-token-file)");
      }
      // Constant time: the comparison must not tell an attacker how many bytes were right.
      return MessageDigest.isEqual(presented, token.get()) ? null
          : Status.PERMISSION_DENIED.withDescription("admin token does not match");
    }
    Optional<X500Principal> subject = clientCertificateSubject(tls);
    if (subject.isPresent()) {
      return adminSubjects.contains(subject.get()) ? null
          : Status.PERMISSION_DENIED.withDescription("client certificate '" + subject.get().getName()
              + "' is not an admin (shardkv.security.admin-cert-subjects)");
    }
    return Status.UNAUTHENTICATED.withDescription(
        "this admin call changes the cluster: send 'authorization: Bearer <admin token>' or use an admin"
            + " TLS client certificate");
  }

  private static Optional<X500Principal> clientCertificateSubject(SSLSession tls) {
    if (tls == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = tls.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x
          ? Optional.of(x.getSubjectX500Principal()) : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty(); // TLS without a client certificate
    }
  }
}
