package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.shardkv.store.SyncMode;
import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
  private static final File DEV = new File("../conf/dev.conf");
  private static final File EXAMPLE = new File("../conf/shardkv.conf");

  private static ShardkvConfig load(Map<String, String> env, String hocon) {
    return new ConfigLoader(env).load(ConfigFactory.parseString(hocon));
  }

  private static void assertError(Map<String, String> env, String hocon, String key) {
    assertThatThrownBy(() -> load(env, hocon)).isInstanceOf(ConfigLoader.ConfigError.class)
        .hasMessageContaining(key);
  }

  @Test
  void defaultsAndShippedFilesLoad() {
    ShardkvConfig defaults = load(Map.of(), "");
    assertThat(defaults.shards()).isEqualTo(4);
    assertThat(defaults.store().syncMode()).isEqualTo(SyncMode.NOMETASYNC);
    assertThat(new ConfigLoader(Map.of()).load(DEV).peers()).hasSize(3);
    assertThat(new ConfigLoader(Map.of()).load(EXAMPLE).peers()).hasSize(3);
  }

  @Test
  void writePathKeysHaveSafeDefaultsAndAreValidated() {
    ShardkvConfig defaults = load(Map.of(), "");
    assertThat(defaults.proposalPolicy()).isEqualTo(io.shardkv.raft.client.ProposalPolicy.defaults());
    assertThat(defaults.groupHostConfig().leaderBalanceInterval()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(defaults.groupHostConfig().leaderLeaseReads()).isFalse();

    ShardkvConfig tuned = load(Map.of(), "shardkv.raft { leader-balance-interval = 0s, leader-lease-reads = true, "
        + "proposals { max-in-flight-per-shard = 1, max-commands-per-entry = 8, max-entry-size = 64KiB } }");
    assertThat(tuned.proposalPolicy()).isEqualTo(new io.shardkv.raft.client.ProposalPolicy(1, 8, 64 << 10));
    assertThat(tuned.groupHostConfig().leaderBalanceInterval()).isZero();
    assertThat(tuned.groupHostConfig().leaderLeaseReads()).isTrue();

    assertError(Map.of(), "shardkv.raft.proposals.max-in-flight-per-shard = 0",
        "shardkv.raft.proposals.max-in-flight-per-shard");
    assertError(Map.of(), "shardkv.raft.proposals.max-entry-size = 100", "shardkv.raft.proposals.max-entry-size");
    assertError(Map.of(), "shardkv.raft.leader-balance-interval = -1s", "shardkv.raft.leader-balance-interval");
  }

  @Test
  void firstElectionTimeoutIsReadFromFileOrEnvironmentAndBounded() {
    assertThat(load(Map.of(), "").groupHostConfig().firstElectionTimeout())
        .isEqualTo(io.shardkv.raft.host.GroupHostConfig.DEFAULT_FIRST_ELECTION_TIMEOUT);
    assertThat(load(Map.of(), "shardkv.raft.first-election-timeout = 120ms").groupHostConfig().firstElectionTimeout())
        .isEqualTo(java.time.Duration.ofMillis(120));
    ShardkvConfig fromEnv = new ConfigLoader(Map.of("SHARDKV_FIRST_ELECTION_TIMEOUT", "2s")).load(DEV);
    assertThat(fromEnv.groupHostConfig().firstElectionTimeout()).isEqualTo(java.time.Duration.ofSeconds(2));
    assertError(Map.of(), "shardkv.raft.first-election-timeout = 10ms", "shardkv.raft.first-election-timeout");
    assertError(Map.of(), "shardkv.raft.first-election-timeout = 1m", "shardkv.raft.first-election-timeout");
  }

  @Test
  void replicationFactorDefaultsToThreeComesFromFileOrEnvironmentAndIsBounded() {
    assertThat(load(Map.of(), "").groupHostConfig().replicationFactor()).isEqualTo(3);
    assertThat(new ConfigLoader(Map.of()).load(EXAMPLE).replicationFactor()).isEqualTo(3);
    assertThat(load(Map.of(), "shardkv.replication-factor = 5").groupHostConfig().replicationFactor()).isEqualTo(5);
    assertThat(new ConfigLoader(Map.of("SHARDKV_REPLICATION_FACTOR", "1")).load(DEV).replicationFactor()).isEqualTo(1);
    assertError(Map.of(), "shardkv.replication-factor = 0", "shardkv.replication-factor");
    assertError(Map.of(), "shardkv.replication-factor = 10", "shardkv.replication-factor");
    // Five peers, factor 3: each shard placed on three of them.
    ShardkvConfig five = load(Map.of("SHARDKV_PEERS", "n1=h:1,n2=h:2,n3=h:3,n4=h:4,n5=h:5"), "shardkv.shards = 10");
    assertThat(five.groupHostConfig().placement().replicas(0)).hasSize(3);
  }

  @Test
  void aNodeNotAmongThePeersJoinsAtItsAdvertisedAddressAndNeedsOne() {
    ShardkvConfig seed = new ConfigLoader(Map.of()).load(DEV);
    assertThat(seed.joinAs()).isEmpty();
    assertThat(seed.groupHostConfig().joinAs()).isEmpty();
    ShardkvConfig joiner = new ConfigLoader(Map.of("SHARDKV_NODE_ID", "n4", "SHARDKV_CLIENT_PORT", "7004",
        "SHARDKV_ADVERTISE_HOST", "10.0.0.4", "SHARDKV_ADVERTISE_RAFT_PORT", "7104")).load(DEV);
    assertThat(joiner.joinAs()).contains(new ShardkvConfig.Peer("n4", "10.0.0.4", 7104, 7004));
    assertThat(joiner.self()).isEqualTo(joiner.joinAs().get());
    assertThat(joiner.peers()).extracting(ShardkvConfig.Peer::id).containsExactly("n1", "n2", "n3");
    assertThat(joiner.groupHostConfig().self().raftAddress()).isEqualTo("10.0.0.4:7104");
    assertThat(joiner.groupHostConfig().placement().nodes()).doesNotContain("n4");
    assertError(Map.of("SHARDKV_NODE_ID", "n4"), "", "shardkv.advertise.host");
  }

  @Test
  void placementSettingsComeFromFileOrEnvironmentAndAreChecked() {
    ShardkvConfig c = new ConfigLoader(Map.of()).load(DEV);
    assertThat(c.placement()).isEqualTo(io.shardkv.control.placement.PlacementPolicy.defaults());
    ShardkvConfig set = new ConfigLoader(Map.of("SHARDKV_MAX_CONCURRENT_MOVES", "1", "SHARDKV_DOWN_TIMEOUT", "5s",
        "SHARDKV_PLACEMENT_CHECK_INTERVAL", "300ms")).load(DEV);
    assertThat(set.placement()).isEqualTo(new io.shardkv.control.placement.PlacementPolicy(java.time.Duration.ofMillis(300), 1,
        java.time.Duration.ofSeconds(5)));
    assertError(Map.of(), "shardkv.placement.max-concurrent-moves = 0", "shardkv.placement");
    assertError(Map.of(), "shardkv.placement.down-timeout = 0s", "shardkv.placement");
    assertThat(load(Map.of(), "shardkv.placement.check-interval = 0s").placement().enabled())
        .as("0s turns the controller off").isFalse();
    assertThat(c.placement().enabled()).isTrue();
  }

  @Test
  void environmentOverridesTheUsersFile() {
    ShardkvConfig c = new ConfigLoader(Map.of("SHARDKV_NODE_ID", "n2", "SHARDKV_CLIENT_PORT", "7002",
        "SHARDKV_DATA_DIR", "/tmp/x")).load(DEV);
    assertThat(c.nodeId()).isEqualTo("n2");
    assertThat(c.client().port()).isEqualTo(7002);
    assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/x"));
    assertThat(c.self().clientPort()).isEqualTo(7002);
  }

  @Test
  void peersFromTheEnvironment() {
    ShardkvConfig c = load(Map.of("SHARDKV_PEERS", "a=h1:1:2,b=h2:3", "SHARDKV_NODE_ID", "b"), "");
    assertThat(c.peers()).containsExactly(new ShardkvConfig.Peer("a", "h1", 1, 2),
        new ShardkvConfig.Peer("b", "h2", 3, 7001));
    assertError(Map.of("SHARDKV_PEERS", "a=h1"), "", "SHARDKV_PEERS");
  }

  @Test
  void everyErrorNamesItsKey() {
    assertError(Map.of(), "shardkv.store.sync-mode = fast", "shardkv.store.sync-mode");
    assertError(Map.of(), "shardkv.node-id = zz", "shardkv.node-id");
    assertError(Map.of(), "shardkv.peers = [{id=n1,host=a,raft-port=1},{id=n1,host=b,raft-port=2}]", "duplicate");
    assertError(Map.of(), "shardkv.client.port = 70000", "shardkv.client.port");
    assertError(Map.of(), "shardkv.shards = 0", "shardkv.shards");
    assertError(Map.of(), "shardkv.shards = four", "shards");
    assertError(Map.of(), "shardkv.limits.max-scan-limit = 20000", "shardkv.limits.max-scan-limit");
    assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(new File("/nonexistent.conf")))
        .hasMessageContaining("does not exist");
  }

  @Test
  void securityKeysAreReadAndCheckedAtStart(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path token = dir.resolve("token");
    java.nio.file.Files.writeString(token, "  0123456789abcdef-token\n");
    ShardkvConfig c = load(Map.of("SHARDKV_ADMIN_TOKEN_FILE", token.toString()), "");
    assertThat(c.security().adminToken()).contains("0123456789abcdef-token");
    assertThat(c.security().tls()).isEmpty();
    assertThat(load(Map.of(), "").security().adminToken()).isEmpty();

    Path shortToken = dir.resolve("short");
    java.nio.file.Files.writeString(shortToken, "abc");
    assertError(Map.of("SHARDKV_ADMIN_TOKEN_FILE", shortToken.toString()), "", "shardkv.security.admin-token-file");
    assertError(Map.of(), "shardkv.security.admin-token-file = \"" + dir.resolve("missing") + "\"",
        "shardkv.security.admin-token-file");
    assertError(Map.of(), "shardkv.security.admin-cert-subjects = [\"CN=ops\"]", "shardkv.security.admin-cert-subjects");
    assertError(Map.of("SHARDKV_TLS_ENABLED", "true"), "", "shardkv.security.tls.cert-chain");
    assertError(Map.of(), "shardkv.security.tls { enabled = true, cert-chain = \"" + token + "\", private-key = \""
        + token + "\", trust-ca = \"/nope.pem\" }", "shardkv.security.tls.trust-ca");
  }
}
