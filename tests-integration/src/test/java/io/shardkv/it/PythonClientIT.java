package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client from another language against the real {@code bin/shardkv dev}: Python stubs are
 * generated from the shipped proto with Debian's protoc and grpcio.
 */
class PythonClientIT {
  private static final Path ROOT = Path.of(System.getProperty("shardkv.repo.root", "..")).toAbsolutePath().normalize();
  @TempDir Path dir;

  @Test
  void pythonClientPutsGetsScansAndDeletesAPrefixAgainstBinShardkvDev() throws Exception {
    boolean tools = run(dir, "/usr/bin/python3", "-c", "import grpc, google.protobuf") == 0
        && Files.isExecutable(Path.of("/usr/bin/grpc_python_plugin"))
        && run(dir, "protoc", "--version") == 0;
    String install = "apt-get install python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc";
    if (!tools) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI must have the Python client tools: " + install);
      }
      Assumptions.abort("Python gRPC tools missing; " + install);
    }
    for (int port : List.of(7001, 7002, 7003, 7101, 7102, 7103, 7201, 7202, 7203)) {
      assertThat(inUse(port)).as("port " + port + " must be free for bin/shardkv dev").isFalse();
    }

    Path stubs = Files.createDirectories(dir.resolve("stubs"));
    Path protoRoot = ROOT.resolve("api-proto/src/main/proto");
    assertThat(run(dir, "protoc", "--python_out=" + stubs, "--grpc_out=" + stubs,
        "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", "-I", protoRoot.toString(),
        protoRoot.resolve("shardkv/v1/kv.proto").toString())).isZero();

    Path work = Files.createDirectories(dir.resolve("work"));
    Process dev = new ProcessBuilder(ROOT.resolve("bin/shardkv").toString(), "dev")
        .directory(work.toFile())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("dev.out").toFile())
        .start();
    try {
      Await.until(Duration.ofSeconds(120), "bin/shardkv dev to report all nodes serving", () -> {
        if (!dev.isAlive()) {
          throw new AssertionError("bin/shardkv dev exited: " + read(dir.resolve("dev.out")));
        }
        return read(dir.resolve("dev.out")).contains("3 nodes SERVING");
      });
      int rc = run(dir, "/usr/bin/python3", ROOT.resolve("tests-integration/src/test/python/kv_client_check.py").toString(),
          "--stubs", stubs.toString(), "--address", "127.0.0.1:7001", "--address", "127.0.0.1:7002",
          "--address", "127.0.0.1:7003");
      assertThat(rc).as(read(dir.resolve("run.out"))).isZero();
      assertThat(read(dir.resolve("run.out"))).contains("OK");
      assertThat(Files.exists(work.resolve("data/n1"))).as("data lands under ./data").isTrue();
    } finally {
      dev.destroy(); // SIGTERM: the script stops its three nodes
      if (!dev.waitFor(60, TimeUnit.SECONDS)) {
        dev.descendants().forEach(ProcessHandle::destroyForcibly);
        dev.destroyForcibly();
      }
      dev.descendants().forEach(ProcessHandle::destroyForcibly);
    }
    assertThat(read(dir.resolve("dev.out"))).contains("stopped");
  }

  private static boolean inUse(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int run(Path dir, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("run.out").toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }
}
