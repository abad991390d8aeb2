package io.shardkv.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.shardkv.k8s.K8sDirectory.Manifest;
import io.shardkv.server.ConfigLoader;
import io.shardkv.server.ShardkvConfig;
import io.shardkv.server.ShardkvConfig.Peer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node configuration in the ConfigMap, loaded by the server's own {@link ConfigLoader} as each
 * pod would load it (its environment taken from the StatefulSet), must agree with what the
 * manifests around it assume: ports, probes, metrics path, data and secret mounts, peer names.
 * A mismatch here is a cluster that deploys cleanly and never becomes Ready.
 */
class KubernetesConfigConsistencyTest {
  private static final K8sDirectory K8S = K8sDirectory.locate();
  // Health service names registered by ShardkvNode: "liveness" is SERVING once the process
  // listens; "" (overall) only once the node has caught up.
  private static final String LIVENESS = "liveness";
  private static final String OVERALL = "";
  private static final String METRICS_PATH = "/metrics";

  @TempDir Path tmp;
  private JsonNode statefulSet;
  private JsonNode podSpec;
  private JsonNode container;
  private ShardkvConfig[] configs;

  @BeforeEach
  void loadEveryPodsConfig() throws IOException {
    statefulSet = K8S.one("StatefulSet", "shardkv").node();
    podSpec = statefulSet.at("/spec/template/spec");
    container = podSpec.at("/containers/0");
    int replicas = statefulSet.at("/spec/replicas").asInt();
    assertThat(replicas).isPositive();
    configs = new ShardkvConfig[replicas];
    for (int i = 0; i < replicas; i++) {
      configs[i] = loadAs(podName(i));
    }
  }

  /** The config a pod of this name loads: ConfigMap HOCON plus the container's environment. */
  private ShardkvConfig loadAs(String podName) throws IOException {
    Map<String, String> env = new HashMap<>();
    for (JsonNode var : container.path("env")) {
      String name = var.path("name").asText();
      if (var.has("value")) {
        // Kubernetes expands $(NAME) from the variables defined before this one.
        String value = var.path("value").asText();
        for (Map.Entry<String, String> defined : env.entrySet()) {
          value = value.replace("$(" + defined.getKey() + ")", defined.getValue());
        }
        env.put(name, value);
      } else if (var.at("/valueFrom/fieldRef/fieldPath").asText().equals("metadata.name")) {
        env.put(name, podName);
      } else {
        throw new AssertionError("env " + name + ": only literal values and the pod name are modelled here");
      }
    }
    // The token file exists only inside the pod: the mount is checked in adminTokenFileIsTheMountedSecret;
    // here a stand-in lets ConfigLoader read and validate a token the way the node does.
    Path token = tmp.resolve("admin-token");
    Files.writeString(token, "a-token-long-enough-for-the-check\n");
    assertThat(env).containsKey("SHARDKV_ADMIN_TOKEN_FILE");
    env.put("SHARDKV_ADMIN_TOKEN_FILE", token.toString());
    return new ConfigLoader(env).load(ConfigFactory.parseString(hocon()));
  }

  private String podName(int ordinal) {
    return statefulSet.at("/metadata/name").asText() + "-" + ordinal;
  }

  private String hocon() {
    return configMapVolumeSource().configMap().at("/data").path(configKey()).asText();
  }

  @Test
  void everyPodIsAPeerUnderItsOwnNameAndEveryPeerIsAPod() {
    Set<String> pods = new java.util.TreeSet<>();
    for (int i = 0; i < configs.length; i++) {
      pods.add(podName(i));
      assertThat(configs[i].nodeId()).isEqualTo(podName(i));
    }
    for (ShardkvConfig config : configs) {
      assertThat(config.peers().stream().map(Peer::id).collect(Collectors.toSet())).isEqualTo(pods);
    }
  }

  /**
   * Scaling the StatefulSet past the peers (docs/kubernetes.md, "Scaling"): a pod whose name is
   * not a peer loads as a node joining through the peers, at its own name under the headless
   * Service, on the Raft and client ports the container exposes.
   */
  @Test
  void podsBeyondThePeersJoinAtTheirOwnNameThroughThePeers() throws IOException {
    for (int ordinal = configs.length; ordinal < configs.length + 2; ordinal++) {
      ShardkvConfig joiner = loadAs(podName(ordinal));
      assertThat(joiner.nodeId()).isEqualTo(podName(ordinal));
      assertThat(joiner.peers()).isEqualTo(configs[0].peers());
      assertThat(joiner.joinAs()).isPresent();
      Peer self = joiner.joinAs().get();
      assertThat(self.host()).isEqualTo(podName(ordinal) + "." + statefulSet.at("/spec/serviceName").asText());
      assertThat(self.raftPort()).isEqualTo(containerPort("raft"));
      assertThat(self.clientPort()).isEqualTo(containerPort("grpc"));
    }
    for (ShardkvConfig seed : configs) {
      assertThat(seed.joinAs()).as("a peer pod does not join").isEmpty();
    }
  }

  @Test
  void peerHostsAreThePodNamesUnderTheHeadlessService() {
    String serviceName = statefulSet.at("/spec/serviceName").asText();
    JsonNode headless = K8S.one("Service", serviceName).node();
    assertThat(headless.at("/spec/clusterIP").asText()).isEqualTo("None");
    assertThat(headless.at("/spec/publishNotReadyAddresses").asBoolean()).isTrue();
    for (Peer peer : configs[0].peers()) {
      // shardkv-N.shardkv-peers, or the same qualified with a namespace and the cluster domain.
      assertThat(peer.host()).as("host of peer %s", peer.id()).matches(
          java.util.regex.Pattern.quote(peer.id() + "." + serviceName) + "(\\.[a-z0-9-]+(\\.svc(\\..+)?)?)?");
    }
    // The start-up command waits for the pod's own peer name to resolve: same name, same Service.
    assertThat(String.join("\n", texts(container.path("args"))))
        .contains("${SHARDKV_NODE_ID}." + serviceName);
  }

  @Test
  void containerPortsAreTheConfiguredPorts() {
    ShardkvConfig config = configs[0];
    Set<Integer> raftPorts = config.peers().stream().map(Peer::raftPort).collect(Collectors.toSet());
    assertThat(raftPorts).as("one Raft port: every pod runs the same container").hasSize(1);
    assertThat(config.peers().stream().map(Peer::clientPort).collect(Collectors.toSet()))
        .containsExactly(config.client().port());
    assertThat(containerPort("grpc")).isEqualTo(config.client().port());
    assertThat(containerPort("raft")).isEqualTo(config.self().raftPort());
    assertThat(containerPort("metrics")).isEqualTo(config.metrics().port());
    // Bound on every interface, or the probes and the other pods cannot reach them.
    assertThat(config.client().host()).isEqualTo("0.0.0.0");
    assertThat(config.metrics().host()).isEqualTo("0.0.0.0");
  }

  @Test
  void servicesExposeTheConfiguredPorts() {
    ShardkvConfig config = configs[0];
    JsonNode headless = K8S.one("Service", statefulSet.at("/spec/serviceName").asText()).node();
    assertThat(servicePort(headless, "raft")).isEqualTo(config.self().raftPort());
    assertThat(servicePort(headless, "grpc")).isEqualTo(config.client().port());
    JsonNode client = K8S.one("Service", "shardkv").node();
    assertThat(servicePort(client, "grpc")).isEqualTo(config.client().port());
    assertThat(servicePort(client, "metrics")).isEqualTo(config.metrics().port());
    Map<String, Integer> named = containerPorts();
    for (JsonNode service : List.of(headless, client)) {
      for (JsonNode port : service.at("/spec/ports")) {
        // Named target ports: the number lives in one place, the container.
        assertThat(named).as("targetPort of %s", port).containsKey(port.path("targetPort").asText());
        assertThat(named.get(port.path("targetPort").asText())).isEqualTo(port.path("port").asInt());
      }
    }
  }

  @Test
  void selectorsMatchThePodLabels() {
    JsonNode labels = statefulSet.at("/spec/template/metadata/labels");
    List<JsonNode> selectors = new ArrayList<>();
    selectors.add(statefulSet.at("/spec/selector/matchLabels"));
    selectors.add(K8S.one("PodDisruptionBudget").node().at("/spec/selector/matchLabels"));
    K8S.applied().stream().filter(m -> m.kind().equals("Service"))
        .forEach(s -> selectors.add(s.node().at("/spec/selector")));
    for (JsonNode selector : selectors) {
      assertThat(selector.isEmpty()).isFalse();
      selector.fields().forEachRemaining(e -> assertThat(labels.path(e.getKey()).asText())
          .as("pod label %s", e.getKey()).isEqualTo(e.getValue().asText()));
    }
  }

  @Test
  void probesUseNativeGrpcOnTheClientPortWithTheRightHealthService() {
    int clientPort = configs[0].client().port();
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      assertThat(container.path(probe).at("/grpc/port").asInt()).as(probe).isEqualTo(clientPort);
    }
    assertThat(container.at("/startupProbe/grpc/service").asText()).isEqualTo(LIVENESS);
    assertThat(container.at("/livenessProbe/grpc/service").asText()).isEqualTo(LIVENESS);
    // Readiness is the catch-up gate; liveness must not be, or a lagging node would be killed.
    assertThat(container.at("/readinessProbe/grpc/service").asText(OVERALL)).isEqualTo(OVERALL);
  }

  @Test
  void metricsAnnotationsPointAtTheMetricsEndpoint() {
    JsonNode annotations = statefulSet.at("/spec/template/metadata/annotations");
    assertThat(annotations.path("prometheus.io/scrape").asText()).isEqualTo("true");
    assertThat(annotations.path("prometheus.io/port").asText())
        .isEqualTo(String.valueOf(configs[0].metrics().port()));
    assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo(METRICS_PATH);
  }

  @Test
  void dataDirIsThePersistentVolumeMount() {
    String claim = statefulSet.at("/spec/volumeClaimTemplates/0/metadata/name").asText();
    for (ShardkvConfig config : configs) {
      assertThat(config.dataDir().toString()).isEqualTo(mountPath(claim));
    }
  }

  @Test
  void adminTokenFileIsTheMountedSecret() {
    String tokenFile = literalEnv("SHARDKV_ADMIN_TOKEN_FILE");
    VolumeSource secret = volumeWith("secret");
    JsonNode item = secret.volume().at("/secret/items/0");
    assertThat(tokenFile).isEqualTo(mountPath(secret.name()) + "/" + item.path("path").asText());
    // The example Secret (what kubectl create secret makes) has that name and key.
    Manifest example = K8sDirectory.parse(K8S.dir().resolve(K8sDirectory.SECRET_EXAMPLE)).get(0);
    assertThat(example.name()).isEqualTo(secret.volume().at("/secret/secretName").asText());
    assertThat(example.node().at("/stringData").has(item.path("key").asText())).isTrue();
  }

  @Test
  void theNodeReadsTheMountedConfigMap() {
    VolumeSource config = configMapVolumeSource();
    String file = mountPath(config.name()) + "/" + configKey();
    assertThat(String.join("\n", texts(container.path("args")))).contains("--config " + file);
  }

  @Test
  void heapFitsTheMemoryLimitAndTheImageUserIsThePodUser() throws IOException {
    long heap = bytes(literalEnv("SHARDKV_HEAP"));
    long limit = bytes(container.at("/resources/limits/memory").asText());
    // LMDB's page cache, Netty's direct buffers and the JVM's own memory live outside the heap.
    assertThat(heap).isLessThanOrEqualTo(limit / 2);
    String dockerfile = Files.readString(K8S.dir().resolve("Dockerfile"));
    long uid = podSpec.at("/securityContext/runAsUser").asLong();
    assertThat(dockerfile).containsPattern("(?m)^USER " + uid + "$");
    assertThat(container.at("/securityContext/runAsUser").asLong()).isEqualTo(uid);
  }

  // ---- helpers ----

  private record VolumeSource(String name, JsonNode volume, JsonNode configMap) {}

  /** The volume backed by the ConfigMap, and that ConfigMap. */
  private VolumeSource configMapVolumeSource() {
    VolumeSource v = volumeWith("configMap");
    Manifest configMap = K8S.one("ConfigMap", v.volume().at("/configMap/name").asText());
    return new VolumeSource(v.name(), v.volume(), configMap.node());
  }

  /** The ConfigMap holds exactly one file: the node configuration. */
  private String configKey() {
    VolumeSource v = volumeWith("configMap");
    JsonNode data = K8S.one("ConfigMap", v.volume().at("/configMap/name").asText()).node().at("/data");
    assertThat(data.size()).isEqualTo(1);
    return data.fieldNames().next();
  }

  private VolumeSource volumeWith(String type) {
    List<JsonNode> found = new ArrayList<>();
    podSpec.path("volumes").forEach(v -> {
      if (v.has(type)) {
        found.add(v);
      }
    });
    assertThat(found).as("%s volumes", type).hasSize(1);
    return new VolumeSource(found.get(0).path("name").asText(), found.get(0), null);
  }

  private String mountPath(String volume) {
    for (JsonNode mount : container.path("volumeMounts")) {
      if (mount.path("name").asText().equals(volume)) {
        return mount.path("mountPath").asText();
      }
    }
    throw new AssertionError("volume " + volume + " is not mounted");
  }

  private String literalEnv(String name) {
    for (JsonNode var : container.path("env")) {
      if (var.path("name").asText().equals(name) && var.has("value")) {
        return var.path("value").asText();
      }
    }
    throw new AssertionError("no literal env " + name);
  }

  private Map<String, Integer> containerPorts() {
    Map<String, Integer> ports = new HashMap<>();
    container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
    return ports;
  }

  private int containerPort(String name) {
    assertThat(containerPorts()).containsKey(name);
    return containerPorts().get(name);
  }

  private static int servicePort(JsonNode service, String name) {
    for (JsonNode port : service.at("/spec/ports")) {
      if (port.path("name").asText().equals(name)) {
        return port.path("port").asInt();
      }
    }
    throw new AssertionError("Service " + service.at("/metadata/name").asText() + " has no port " + name);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** "768m" (JVM -Xmx) or "1536Mi" (Kubernetes quantity) in bytes. */
  private static long bytes(String size) {
    var m = java.util.regex.Pattern.compile("(\\d+)([kKmMgG])(i?)").matcher(size);
    assertThat(m.matches()).as("size %s", size).isTrue();
    int shift = switch (Character.toLowerCase(m.group(2).charAt(0))) {
      case 'k' -> 10;
      case 'm' -> 20;
      default -> 30;
    };
    return Long.parseLong(m.group(1)) << shift;
  }
}
