package io.shardkv.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One server process the benchmark started (a shardkv node or an etcd member), its output
 * appended to a log file. Stopping is by signal: SIGTERM for a graceful stop, SIGKILL for a crash.
 */
final class LocalProcess {
  private final String name;
  private final Path log;
  private Process process;

  LocalProcess(String name, Path log) {
    this.name = name;
    this.log = log;
  }

  /** Starts the command; returns {@link System#nanoTime()} just before the spawn. */
  long start(List<String> command, java.util.Map<String, String> env) throws IOException {
    if (alive()) {
      throw new IllegalStateException(name + " is running");
    }
    Files.writeString(log, "=== start " + name + "\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    long t0 = System.nanoTime();
    process = builder.start();
    return t0;
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** Fails with the log tail if the process has exited (so waits end early with a reason). */
  void checkAlive() {
    if (process != null && !process.isAlive()) {
      throw new IllegalStateException(name + " exited with " + process.exitValue() + "; log tail:\n" + logTail());
    }
  }

  /** SIGTERM and wait; SIGKILL if it does not stop within 60 s. */
  void stop() throws InterruptedException {
    if (!alive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      kill();
    }
  }

  /** SIGKILL: no shutdown hooks, nothing flushed. */
  void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
