package io.shardkv.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.schema.validator.ValidationMessage;
import io.fabric8.kubernetes.schema.validator.ValidationReport;
import io.fabric8.kubernetes.schema.validator.Validator;
import io.shardkv.k8s.K8sDirectory.Manifest;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every manifest in {@code k8s/} against the Kubernetes OpenAPI schema, with fabric8's
 * schema validator (the schema ships inside its jar: no cluster needed). The negative cases
 * prove the validator sees our documents at all, so a pass cannot be vacuous.
 */
class KubernetesManifestsTest {
  private static final K8sDirectory K8S = K8sDirectory.locate();
  // Loading the bundled OpenAPI document takes seconds: once for the class.
  private static Validator validator;
  private static final String INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
  private static final String INTEGER_INSTANCE = "Instance type (integer)";

  @BeforeAll
  static void loadSchema() {
    validator = Validator.newInstance();
  }

  static Stream<Path> manifestFiles() {
    return K8S.manifestFiles().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("manifestFiles")
  void manifestMatchesTheKubernetesSchema(Path file) {
    List<Manifest> docs = K8sDirectory.parse(file);
    assertThat(docs).as("documents in %s", file).isNotEmpty();
    for (Manifest doc : docs) {
      assertThat(errors(doc.node())).as("%s %s in %s", doc.kind(), doc.name(), file.getFileName()).isEmpty();
    }
  }

  @Test
  void kustomizationAppliesEveryManifestButTheSecretExample() {
    List<String> listed = K8S.kustomizationResources().stream().map(p -> p.getFileName().toString()).toList();
    List<String> present = K8S.manifestFiles().stream().map(p -> p.getFileName().toString())
        .filter(name -> !name.equals(K8sDirectory.SECRET_EXAMPLE))
        .toList();
    assertThat(listed).containsExactlyInAnyOrderElementsOf(present).doesNotContain(K8sDirectory.SECRET_EXAMPLE);
  }

  @Test
  void containerPortGivenAsAStringIsRejected() {
    assertThat(errorsAfter(statefulSet(), s -> ((ObjectNode) container(s).withArray("ports").get(0))
        .put("containerPort", "seven-thousand-one"))).isNotEmpty();
  }

  @Test
  void statefulSetWithoutItsRequiredSelectorIsRejected() {
    assertThat(errorsAfter(statefulSet(), s -> s.withObject("spec").remove("selector")))
        .anySatisfy(m -> assertThat(m).contains("selector"));
  }

  @Test
  void misspelledProbeFieldIsRejected() {
    // "grcp" instead of "grpc": kubectl would refuse the field and the probe would be lost.
    assertThat(errorsAfter(statefulSet(), s -> {
      ObjectNode probe = container(s).withObject("readinessProbe");
      probe.set("grcp", probe.remove("grpc"));
    })).isNotEmpty();
  }

  @Test
  void intOrStringExcuseCoversIntegersOnly() {
    ObjectNode pdb = K8S.one("PodDisruptionBudget").node().deepCopy();
    assertThat(errorsAfter(pdb, p -> p.withObject("spec").put("maxUnavailable", true)))
        .anySatisfy(m -> assertThat(m).contains(INT_OR_STRING));
  }

  @Test
  void unmodifiedStatefulSetPassesTheSameCheck() {
    // The control for the negative cases above: only the mutation makes them fail.
    assertThat(errorsAfter(statefulSet(), s -> { })).isEmpty();
  }

  private static ObjectNode statefulSet() {
    return K8S.one("StatefulSet").node().deepCopy();
  }

  private static ObjectNode container(ObjectNode statefulSet) {
    return (ObjectNode) statefulSet.withObject("spec").withObject("template").withObject("spec")
        .withArray("containers").get(0);
  }

  private static List<String> errorsAfter(ObjectNode manifest, Consumer<ObjectNode> change) {
    change.accept(manifest);
    return errors(manifest);
  }

  /**
   * The schema errors, as readable text so a failure says what is wrong. One kind is dropped: the
   * OpenAPI document declares IntOrString as {@code type: string, format: int-or-string}, which
   * the validator reads as "string only", while Kubernetes accepts an integer there too (a PDB's
   * {@code maxUnavailable: 1} means one pod; the string "1" would be refused as not a
   * percentage). Only an integer in an IntOrString is excused: any other type still fails.
   */
  private static List<String> errors(ObjectNode manifest) {
    ValidationReport report = validator.validate(manifest);
    return report.getMessages().stream()
        .filter(m -> m.getLevel() == ValidationMessage.Level.ERROR)
        .filter(m -> !(m.getSchema().endsWith(INT_OR_STRING) && m.getMessage().contains(INTEGER_INSTANCE)))
        .map(m -> m.getSchema() + ": " + m.getMessage())
        .toList();
  }
}
