package io.shardkv.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The repository's {@code k8s/} directory as parsed YAML: what the manifest tests read. Found by
 * walking up from the working directory, because Surefire runs in the module directory while an
 * IDE may run from the repository root.
 */
record K8sDirectory(Path dir) {
  static final String KUSTOMIZATION = "kustomization.yaml";
  static final String SECRET_EXAMPLE = "admin-secret.example.yaml";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** One YAML document of one file. */
  record Manifest(Path file, ObjectNode node) {
    String kind() {
      return node.path("kind").asText();
    }

    String name() {
      return node.path("metadata").path("name").asText();
    }
  }

  static K8sDirectory locate() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("k8s").resolve(KUSTOMIZATION))) {
        return new K8sDirectory(p.resolve("k8s"));
      }
    }
    throw new IllegalStateException("no k8s/" + KUSTOMIZATION + " above " + Path.of("").toAbsolutePath());
  }

  /** Every {@code *.yaml} file except the kustomization itself, sorted by name. */
  List<Path> manifestFiles() {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".yaml"))
          .filter(f -> !f.getFileName().toString().equals(KUSTOMIZATION))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  JsonNode kustomization() {
    return parse(dir.resolve(KUSTOMIZATION)).get(0).node();
  }

  /** The files {@code kubectl apply -k} applies. */
  List<Path> kustomizationResources() {
    List<Path> files = new ArrayList<>();
    kustomization().path("resources").forEach(r -> files.add(dir.resolve(r.asText())));
    return files;
  }

  /** The documents of every kustomization resource. */
  List<Manifest> applied() {
    List<Manifest> all = new ArrayList<>();
    kustomizationResources().forEach(f -> all.addAll(parse(f)));
    return all;
  }

  /** The single applied object of this kind and name. */
  Manifest one(String kind, String name) {
    List<Manifest> found = applied().stream()
        .filter(m -> m.kind().equals(kind) && m.name().equals(name))
        .toList();
    if (found.size() != 1) {
      throw new AssertionError("expected one " + kind + " '" + name + "' in k8s/, found " + found.size());
    }
    return found.get(0);
  }

  /** The single applied object of this kind. */
  Manifest one(String kind) {
    List<Manifest> found = applied().stream().filter(m -> m.kind().equals(kind)).toList();
    if (found.size() != 1) {
      throw new AssertionError("expected one " + kind + " in k8s/, found " + found.size());
    }
    return found.get(0);
  }

  static List<Manifest> parse(Path file) {
    try {
      List<Manifest> docs = new ArrayList<>();
      try (var it = YAML.readerFor(ObjectNode.class).<ObjectNode>readValues(file.toFile())) {
        while (it.hasNext()) {
          ObjectNode doc = it.next();
          if (doc != null && !doc.isEmpty()) { // "---" with nothing after it
            docs.add(new Manifest(file, doc));
          }
        }
      }
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot parse " + file, e);
    }
  }
}
