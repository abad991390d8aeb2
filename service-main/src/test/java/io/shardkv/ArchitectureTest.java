package io.shardkv;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The architecture, as rules the build checks (docs/architecture.md draws the same map). The
 * modules depend only downwards, {@code service-main -> shard-router / control-plane ->
 * raft-group -> lmdb-store}, everything on {@code api-proto}; inside raft-group and
 * control-plane each package may use only the packages {@link #MAY_USE} lists for it, so a
 * lower package reaching up, or any new arrow, fails here until the map (and this table) says
 * it is meant. Packages form no cycle, and Guice stays in service-main.
 *
 * <p>Lives in service-main because its test class path holds every module but the benchmarks.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  /**
   * For each package of raft-group and control-plane, the shardkv packages its classes may use
   * (besides their own and api-proto's generated code, which everything may use). Read it top
   * down as the layering: a package appears only under the ones above it.
   */
  private static final Map<String, Set<String>> MAY_USE = new LinkedHashMap<>();

  static {
    String raft = "io.shardkv.raft.";
    String store = "io.shardkv.store";
    // control-plane: uses the host's API, never the reverse
    MAY_USE.put("io.shardkv.control", Set.of("io.shardkv.control.map", "io.shardkv.control.membership",
        "io.shardkv.control.placement", raft + "host", raft + "metrics", raft + "ratis", raft + "topology"));
    MAY_USE.put("io.shardkv.control.placement", Set.of("io.shardkv.control.map", "io.shardkv.control.membership",
        raft + "host", raft + "metrics", raft + "topology"));
    MAY_USE.put("io.shardkv.control.membership", Set.of("io.shardkv.control.map", raft + "topology"));
    MAY_USE.put("io.shardkv.control.map", Set.of(raft + "ratis", raft + "topology"));
    // raft-group, top to bottom
    MAY_USE.put(raft + "host", Set.of(raft + "bootstrap", raft + "client", raft + "coldstart", raft + "health",
        raft + "metrics", raft + "ratis", raft + "readiness", raft + "replica", raft + "routing", raft + "snapshot",
        raft + "topology", store));
    MAY_USE.put(raft + "bootstrap", Set.of(raft + "ratis", raft + "topology"));
    MAY_USE.put(raft + "health", Set.of(raft + "metrics", raft + "ratis", raft + "readiness", raft + "replica",
        store));
    MAY_USE.put(raft + "routing", Set.of(raft + "client", raft + "command", raft + "metrics", raft + "ratis",
        raft + "replica", raft + "topology"));
    MAY_USE.put(raft + "replica", Set.of(raft + "client", raft + "coldstart", raft + "command", raft + "metrics",
        raft + "ratis", raft + "readiness", raft + "snapshot", store));
    MAY_USE.put(raft + "readiness", Set.of(raft + "metrics"));
    MAY_USE.put(raft + "snapshot", Set.of(raft + "metrics", store));
    MAY_USE.put(raft + "coldstart", Set.of(store));
    MAY_USE.put(raft + "client", Set.of(raft + "command", raft + "metrics", store));
    MAY_USE.put(raft + "command", Set.of(store));
    MAY_USE.put(raft + "topology", Set.of());
    MAY_USE.put(raft + "ratis", Set.of());
    MAY_USE.put(raft + "metrics", Set.of());
  }

  @BeforeAll
  static void importMainClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.shardkv");
    assertThat(classes.stream().map(c -> c.getPackageName()).distinct())
        .as("every module's main classes are on this test's class path")
        .contains("io.shardkv.store", "io.shardkv.raft.replica", "io.shardkv.control.map", "io.shardkv.router",
            "io.shardkv.server");
  }

  @Test
  void modulesDependOnlyDownwards() {
    // lmdb-store: one replica's storage, nothing above it (no Ratis, no gRPC either)
    noClasses().that().resideInAPackage("io.shardkv.store..")
        .should().dependOnClassesThat().resideInAnyPackage("io.shardkv.raft..", "io.shardkv.control..",
            "io.shardkv.router..", "io.shardkv.server..", "io.shardkv.api..", "org.apache.ratis..", "io.grpc..")
        .because("lmdb-store keeps one replica's data and knows nothing of replication or the wire")
        .check(classes);
    // raft-group: never the control plane, the router or the process
    noClasses().that().resideInAPackage("io.shardkv.raft..")
        .should().dependOnClassesThat().resideInAnyPackage("io.shardkv.control..", "io.shardkv.router..",
            "io.shardkv.server..")
        .because("the state machine and the host are used by the layers above, never the reverse")
        .check(classes);
    // control-plane and shard-router sit side by side under service-main
    noClasses().that().resideInAPackage("io.shardkv.control..")
        .should().dependOnClassesThat().resideInAnyPackage("io.shardkv.router..", "io.shardkv.server..")
        .check(classes);
    noClasses().that().resideInAPackage("io.shardkv.router..")
        .should().dependOnClassesThat().resideInAnyPackage("io.shardkv.control..", "io.shardkv.server..")
        .check(classes);
  }

  @Test
  void theRouterReachesShardsOnlyThroughTheClientContract() {
    classes().that().resideInAPackage("io.shardkv.router..")
        .should().onlyDependOnClassesThat(resideOutsideOfPackage("io.shardkv.raft..")
            .or(resideInAnyPackage("io.shardkv.raft.client..")))
        .check(classes);
    noClasses().that().resideInAPackage("io.shardkv.router..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.ratis..")
        .check(classes);
  }

  @Test
  void eachRaftAndControlPackageUsesOnlyThePackagesBelowIt() {
    for (Map.Entry<String, Set<String>> e : MAY_USE.entrySet()) {
      List<String> allowed = new ArrayList<>(e.getValue());
      allowed.add(e.getKey());
      classes().that().resideInAPackage(e.getKey())
          .should().onlyDependOnClassesThat(resideOutsideOfPackage("io.shardkv..")
              .or(resideInAnyPackage("io.shardkv.api..")).or(resideInAnyPackage(allowed.toArray(String[]::new))))
          .because("docs/architecture.md: " + e.getKey() + " may use only " + new TreeSet<>(e.getValue()))
          .check(classes);
    }
  }

  @Test
  void everyRaftAndControlPackageIsInTheTable() {
    Set<String> packages = new TreeSet<>();
    classes.stream().map(c -> c.getPackageName())
        .filter(p -> p.startsWith("io.shardkv.raft") || p.startsWith("io.shardkv.control"))
        .forEach(packages::add);
    assertThat(MAY_USE.keySet()).as("a new package needs its row in MAY_USE (and docs/architecture.md)")
        .containsAll(packages);
  }

  @Test
  void packagesFormNoCycle() {
    slices().matching("io.shardkv.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void guiceOnlyInServiceMain() {
    noClasses().that().resideOutsideOfPackage("io.shardkv.server..")
        .should().dependOnClassesThat().resideInAnyPackage("com.google.inject..", "jakarta.inject..", "javax.inject..")
        .because("constructor injection everywhere; only the process wires parts together")
        .check(classes);
  }

  /** Every package of main code says its job in a package-info.java (in one of the modules that hold it). */
  @Test
  void everyPackageHasAPackageInfo() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    Set<String> packages = new TreeSet<>();
    Set<String> documented = new TreeSet<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.filter(m -> Files.isDirectory(m.resolve("src/main/java"))).toList()) {
        Path src = module.resolve("src/main/java");
        try (Stream<Path> files = Files.walk(src)) {
          for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
            String pkg = src.relativize(f.getParent()).toString().replace('/', '.');
            if (f.getFileName().toString().equals("package-info.java")) {
              assertThat(Files.readString(f)).as(f + " says the package's job").contains("/**");
              documented.add(pkg);
            } else {
              packages.add(pkg);
            }
          }
        }
      }
    }
    assertThat(packages).as("main-code packages (under %s)", root).isNotEmpty();
    assertThat(documented).as("packages with a package-info.java").containsAll(packages);
  }
}
