package io.shardkv.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.shardkv.control.placement.PlacementPolicy;
import io.shardkv.raft.client.ProposalPolicy;
import io.shardkv.raft.health.ScrubPolicy;
import io.shardkv.raft.host.GroupHostConfig;
import io.shardkv.raft.ratis.TlsFiles;
import io.shardkv.server.ShardkvConfig.Endpoint;
import io.shardkv.server.ShardkvConfig.Limits;
import io.shardkv.server.ShardkvConfig.Peer;
import io.shardkv.server.ShardkvConfig.RaftSettings;
import io.shardkv.server.ShardkvConfig.Security;
import io.shardkv.server.ShardkvConfig.Tls;
import io.shardkv.store.LmdbShardStore;
import io.shardkv.store.LmdbStoreConfig;
import io.shardkv.store.SyncMode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * Loads and validates a node's configuration: the user's file over {@code reference.conf}, with
 * the documented environment variables on top (they are what Kubernetes sets). Every error names
 * the key at fault.
 */
public final class ConfigLoader {
  private final Map<String, String> env;

  public ConfigLoader(Map<String, String> env) {
    this.env = env;
  }

  /** Thrown for a missing or invalid setting; the message starts with the key. */
  public static final class ConfigError extends RuntimeException {
    public ConfigError(String message) {
      super(message);
    }
  }

  /** Loads {@code file} (may be null: defaults only). */
  public ShardkvConfig load(File file) {
    Config user = ConfigFactory.empty();
    if (file != null) {
      if (!file.isFile()) {
        throw new ConfigError("config file " + file + " does not exist");
      }
      try {
        user = ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw new ConfigError(e.getMessage());
      }
    }
    return load(user);
  }

  /** Loads from an already parsed config (tests). */
  public ShardkvConfig load(Config user) {
    try {
      Config merged = envOverrides().withFallback(user).withFallback(ConfigFactory.defaultReference()).resolve();
      return parse(merged.getConfig("shardkv"));
    } catch (ConfigException e) {
      throw new ConfigError(e.getMessage());
    }
  }

  private Config envOverrides() {
    Map<String, Object> o = new HashMap<>();
    put(o, "SHARDKV_CLUSTER_ID", "shardkv.cluster-id");
    put(o, "SHARDKV_NODE_ID", "shardkv.node-id");
    put(o, "SHARDKV_SHARDS", "shardkv.shards");
    put(o, "SHARDKV_REPLICATION_FACTOR", "shardkv.replication-factor");
    put(o, "SHARDKV_DATA_DIR", "shardkv.data-dir");
    put(o, "SHARDKV_CLIENT_HOST", "shardkv.client.host");
    put(o, "SHARDKV_CLIENT_PORT", "shardkv.client.port");
    put(o, "SHARDKV_METRICS_HOST", "shardkv.metrics.host");
    put(o, "SHARDKV_METRICS_PORT", "shardkv.metrics.port");
    put(o, "SHARDKV_SYNC_MODE", "shardkv.store.sync-mode");
    put(o, "SHARDKV_ADMIN_TOKEN_FILE", "shardkv.security.admin-token-file");
    put(o, "SHARDKV_TLS_ENABLED", "shardkv.security.tls.enabled");
    put(o, "SHARDKV_FIRST_ELECTION_TIMEOUT", "shardkv.raft.first-election-timeout");
    put(o, "SHARDKV_ADVERTISE_HOST", "shardkv.advertise.host");
    put(o, "SHARDKV_ADVERTISE_RAFT_PORT", "shardkv.advertise.raft-port");
    put(o, "SHARDKV_PLACEMENT_CHECK_INTERVAL", "shardkv.placement.check-interval");
    put(o, "SHARDKV_MAX_CONCURRENT_MOVES", "shardkv.placement.max-concurrent-moves");
    put(o, "SHARDKV_DOWN_TIMEOUT", "shardkv.placement.down-timeout");
    String peers = env.get("SHARDKV_PEERS");
    if (peers != null && !peers.isBlank()) {
      o.put("shardkv.peers", parsePeersVariable(peers));
    }
    return ConfigFactory.parseMap(o, "environment");
  }

  private void put(Map<String, Object> overrides, String variable, String key) {
    String value = env.get(variable);
    if (value != null && !value.isBlank()) {
      overrides.put(key, value);
    }
  }

  /** SHARDKV_PEERS="n1=host:raftPort[:clientPort],n2=..." */
  private static List<Map<String, Object>> parsePeersVariable(String value) {
    List<Map<String, Object>> peers = new ArrayList<>();
    for (String entry : value.split(",")) {
      String[] idAndAddress = entry.trim().split("=", 2);
      String[] parts = idAndAddress.length == 2 ? idAndAddress[1].split(":") : new String[0];
      if (parts.length < 2 || parts.length > 3) {
        throw new ConfigError("SHARDKV_PEERS: expected id=host:raftPort[:clientPort] entries separated by"
            + " commas, got '" + entry.trim() + "'");
      }
      Map<String, Object> peer = new HashMap<>();
      peer.put("id", idAndAddress[0]);
      peer.put("host", parts[0]);
      peer.put("raft-port", parts[1]);
      if (parts.length == 3) {
        peer.put("client-port", parts[2]);
      }
      peers.add(peer);
    }
    return peers;
  }

  private static ShardkvConfig parse(Config c) {
    String clusterId = nonBlank(c, "cluster-id");
    String nodeId = nonBlank(c, "node-id");
    int shards = c.getInt("shards");
    if (shards < 1 || shards > 1024) {
      throw new ConfigError("shardkv.shards: must be between 1 and 1024, got " + shards);
    }
    int replicationFactor = c.getInt("replication-factor");
    if (replicationFactor < 1 || replicationFactor > 9) {
      throw new ConfigError("shardkv.replication-factor: must be between 1 and 9, got " + replicationFactor);
    }
    Endpoint client = endpoint(c, "client");
    Endpoint metrics = endpoint(c, "metrics");
    List<Peer> peers = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (Config p : c.getConfigList("peers")) {
      String id = p.getString("id");
      if (!ids.add(id)) {
        throw new ConfigError("shardkv.peers: duplicate peer id '" + id + "'");
      }
      int clientPort = p.hasPath("client-port") ? p.getInt("client-port") : client.port();
      peers.add(new Peer(id, p.getString("host"), port("shardkv.peers[" + id + "].raft-port", p.getInt("raft-port")),
          clientPort));
    }
    if (peers.isEmpty()) {
      throw new ConfigError("shardkv.peers: at least one peer is required");
    }
    Optional<Peer> joinAs = Optional.empty();
    if (!ids.contains(nodeId)) {
      // A node added to a running cluster: the peers are the seeds it joins through.
      String host = c.getString("advertise.host");
      if (host.isBlank()) {
        throw new ConfigError("shardkv.node-id: '" + nodeId + "' is not one of the peers " + ids
            + "; to add it to the running cluster set shardkv.advertise.host (SHARDKV_ADVERTISE_HOST), the address"
            + " the other nodes reach it at");
      }
      joinAs = Optional.of(new Peer(nodeId, host, port("shardkv.advertise.raft-port", c.getInt("advertise.raft-port")),
          client.port()));
    }
    Config l = c.getConfig("limits");
    Limits limits = new Limits(positive(l, "limits.max-value-bytes"), positive(l, "limits.max-batch-mutations"),
        positive(l, "limits.max-scan-limit"));
    if (limits.maxScanLimit() > 10_000) {
      throw new ConfigError("shardkv.limits.max-scan-limit: at most 10000, got " + limits.maxScanLimit());
    }
    Config s = c.getConfig("store");
    SyncMode syncMode;
    try {
      syncMode = SyncMode.parse(s.getString("sync-mode"));
    } catch (IllegalArgumentException e) {
      throw new ConfigError("shardkv.store.sync-mode: " + e.getMessage());
    }
    long initial = s.getBytes("initial-map-size");
    long max = s.getBytes("max-map-size");
    if (initial < (1 << 20) || max < initial) {
      throw new ConfigError("shardkv.store.initial-map-size / max-map-size: need 1MiB <= initial <= max, got "
          + initial + " and " + max);
    }
    LmdbStoreConfig store = new LmdbStoreConfig(syncMode, initial, max, positive(s, "store.max-readers"));
    Config r = c.getConfig("raft");
    RaftSettings raft = new RaftSettings(r.getDuration("request-timeout"),
        r.getLong("snapshot-auto-trigger-entries"), positive(r, "raft.snapshots-kept"),
        r.getBytes("log-segment-size"), positive(r, "raft.log-purge-gap"), proposals(r),
        r.getDuration("leader-balance-interval"), r.getBoolean("leader-lease-reads"), maxReplay(r),
        firstElection(r));
    if (raft.leaderBalanceInterval().isNegative()) {
      throw new ConfigError("shardkv.raft.leader-balance-interval: must be >= 0 (0 turns balancing off)");
    }
    if (raft.requestTimeout().isNegative() || raft.requestTimeout().isZero()) {
      throw new ConfigError("shardkv.raft.request-timeout: must be positive");
    }
    if (raft.snapshotAutoTriggerEntries() < 1 || raft.logSegmentBytes() < 1024) {
      throw new ConfigError("shardkv.raft: snapshot-auto-trigger-entries must be >= 1 and log-segment-size >= 1KiB");
    }
    return new ShardkvConfig(clusterId, nodeId, shards, replicationFactor, Path.of(nonBlank(c, "data-dir")), peers, client,
        metrics, limits, store, raft, security(c.getConfig("security")), scrub(c.getConfig("scrub")), joinAs,
        placement(c.getConfig("placement")));
  }

  private static PlacementPolicy placement(Config p) {
    try {
      return new PlacementPolicy(p.getDuration("check-interval"), p.getInt("max-concurrent-moves"),
          p.getDuration("down-timeout"));
    } catch (IllegalArgumentException e) {
      throw new ConfigError("shardkv.placement: " + e.getMessage());
    }
  }

  private static ScrubPolicy scrub(Config scrub) {
    long rate = scrub.getBytes("bytes-per-second");
    if (rate < 1) {
      throw new ConfigError("shardkv.scrub.bytes-per-second: must be at least 1 byte, got " + rate);
    }
    Duration interval = scrub.getDuration("interval");
    if (interval.isNegative()) {
      throw new ConfigError("shardkv.scrub.interval: must be >= 0 (0 turns the periodic passes off), got " + interval);
    }
    return new ScrubPolicy(rate, interval, scrub.getBoolean("resync"));
  }

  private static Duration firstElection(Config raft) {
    Duration d = raft.getDuration("first-election-timeout");
    if (d.compareTo(GroupHostConfig.MIN_FIRST_ELECTION_TIMEOUT) < 0 || d.compareTo(GroupHostConfig.MAX_FIRST_ELECTION_TIMEOUT) > 0) {
      throw new ConfigError("shardkv.raft.first-election-timeout: must be 50ms to 10s, got " + d);
    }
    return d;
  }

  private static Duration maxReplay(Config raft) {
    double seconds = raft.getDouble("max-replay-seconds");
    if (!(seconds > 0) || seconds > 3600) {
      throw new ConfigError("shardkv.raft.max-replay-seconds: must be more than 0 and at most 3600, got " + seconds);
    }
    return Duration.ofNanos((long) (seconds * 1e9));
  }

  private static ProposalPolicy proposals(Config raft) {
    long bytes = raft.getBytes("proposals.max-entry-size");
    if (bytes < 1024 || bytes > (64L << 20)) {
      throw new ConfigError("shardkv.raft.proposals.max-entry-size: must be between 1KiB and 64MiB, got " + bytes);
    }
    return new ProposalPolicy(positive(raft, "raft.proposals.max-in-flight-per-shard"),
        positive(raft, "raft.proposals.max-commands-per-entry"), (int) bytes);
  }

  private static Security security(Config c) {
    Optional<String> token = Optional.empty();
    String tokenFile = c.getString("admin-token-file");
    if (!tokenFile.isBlank()) {
      Path path = Path.of(tokenFile);
      String value;
      try {
        value = Files.readString(path, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new ConfigError("shardkv.security.admin-token-file: cannot read " + path + ": " + e);
      }
      if (value.length() < 16) {
        throw new ConfigError("shardkv.security.admin-token-file: the token in " + path
            + " must be at least 16 characters, got " + value.length());
      }
      token = Optional.of(value);
    }
    List<String> subjects = List.copyOf(c.getStringList("admin-cert-subjects"));
    for (String subject : subjects) {
      try {
        new X500Principal(subject);
      } catch (IllegalArgumentException e) {
        throw new ConfigError("shardkv.security.admin-cert-subjects: '" + subject
            + "' is not an X.500 name such as \"CN=admin,O=example\"");
      }
    }
    Optional<Tls> tls = Optional.empty();
    Config t = c.getConfig("tls");
    if (t.getBoolean("enabled")) {
      TlsFiles files = new TlsFiles(readable(t, "cert-chain"), readable(t, "private-key"), readable(t, "trust-ca"));
      tls = Optional.of(new Tls(files, t.getBoolean("require-client-cert")));
    } else if (!subjects.isEmpty()) {
      throw new ConfigError("shardkv.security.admin-cert-subjects: needs shardkv.security.tls.enabled = true");
    }
    return new Security(tls, token, subjects);
  }

  private static Path readable(Config tls, String key) {
    String value = tls.getString(key);
    Path path = Path.of(value);
    if (value.isBlank() || !Files.isReadable(path)) {
      throw new ConfigError("shardkv.security.tls." + key + ": '" + value + "' is not a readable PEM file");
    }
    return path;
  }

  private static Endpoint endpoint(Config c, String name) {
    return new Endpoint(nonBlank(c, name + ".host"), port("shardkv." + name + ".port", c.getInt(name + ".port")));
  }

  private static int port(String key, int port) {
    if (port < 0 || port > 65535) {
      throw new ConfigError(key + ": must be a port number 0-65535, got " + port);
    }
    return port;
  }

  private static int positive(Config c, String path) {
    String key = path.substring(path.indexOf('.') + 1);
    int v = c.getInt(key);
    if (v < 1) {
      throw new ConfigError("shardkv." + path + ": must be >= 1, got " + v);
    }
    return v;
  }

  private static String nonBlank(Config c, String path) {
    String v = c.getString(path);
    if (v.isBlank()) {
      throw new ConfigError("shardkv." + path + ": must not be empty");
    }
    return v;
  }

  /** LMDB's key limit, fixed by the native build. */
  static int maxKeyBytes() {
    return LmdbShardStore.MAX_KEY_BYTES;
  }
}
