package io.shardkv.raft.ratis;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.util.TimeDuration;

/**
 * The Ratis properties of every Raft client shardkv builds (shard groups, the cluster map's
 * group, probes, admin calls) and the TLS parameters of every Raft connection, server side
 * included, in one place.
 */
public final class RatisClientSettings {
  private RatisClientSettings() {}

  /** Ratis parameters: mutual TLS for every Raft connection (server, client, admin) if configured. */
  public static Parameters parameters(Optional<TlsFiles> tls) {
    Parameters parameters = new Parameters();
    tls.ifPresent(t -> GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(
        t.privateKey().toFile(), t.certChain().toFile(), t.trustCa().toFile(), true)));
    return parameters;
  }

  public static RaftProperties client(Duration requestTimeout) {
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p,
        TimeDuration.valueOf(clientAttemptTimeout(requestTimeout).toMillis(), TimeUnit.MILLISECONDS));
    return p;
  }

  /**
   * How long one attempt of a request may take before it is sent again: half the request's
   * timeout, so a lost attempt leaves time for another, between 0.5 and 3 s (a leader change
   * takes well under a second here, and a read-index round milliseconds).
   */
  public static Duration clientAttemptTimeout(Duration requestTimeout) {
    return Duration.ofMillis(Math.max(500, Math.min(3_000, requestTimeout.toMillis() / 2)));
  }
}
