package io.shardkv.server;

import com.codahale.metrics.MetricRegistry;
import com.google.inject.Guice;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.shardkv.raft.readiness.StartupTimeline;
import io.shardkv.store.CrashPoints;
import io.shardkv.store.LmdbNativeLibrary;
import java.io.File;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The {@code shardkv} command line: {@code serve --config FILE} and {@code health --address}. */
public final class Main {
  private static final String USAGE = """
      usage:
        shardkv serve --config FILE        run one node (config: HOCON, see conf/shardkv.conf)
        shardkv health --address HOST:PORT [--wait SECONDS] [--cacert CA.pem]
                                           exit 0 once the node reports SERVING
        shardkv dev                        (bin/shardkv only) a local 3-node cluster
      """;

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      System.out.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    switch (args[0]) {
      case "serve" -> serve(option(args, "--config"));
      case "health" -> System.exit(health(option(args, "--address"), option(args, "--wait"), option(args, "--cacert")));
      default -> {
        System.err.print("unknown command '" + args[0] + "'\n" + USAGE);
        System.exit(2);
      }
    }
  }

  private static String option(String[] args, String name) {
    for (int i = 1; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return null;
  }

  private static void serve(String configPath) throws Exception {
    MetricRegistry metrics = new MetricRegistry();
    StartupTimeline timeline = new StartupTimeline(metrics);
    timeline.reached("main");
    // Binding LMDB's native library takes a few hundred ms; do it beside config and wiring.
    Thread preload = new Thread(LmdbNativeLibrary::preload, "shardkv-preload-lmdb");
    preload.setDaemon(true);
    preload.start();
    if (configPath == null) {
      System.err.print("serve needs --config FILE\n" + USAGE);
      System.exit(2);
    }
    ShardkvConfig config;
    try {
      config = new ConfigLoader(System.getenv()).load(new File(configPath));
    } catch (ConfigLoader.ConfigError e) {
      System.err.println("shardkv: bad configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    timeline.reached("config_loaded");
    ShardkvNode node = Guice.createInjector(
            new ShardkvModule(config, CrashPoints.fromSystemProperties(), metrics, timeline))
        .getInstance(ShardkvNode.class);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "shardkv-shutdown"));
    try {
      node.start();
    } catch (Exception e) {
      System.err.println("shardkv: node " + config.nodeId() + " failed to start: " + e.getMessage());
      e.printStackTrace(); // where it failed, for the log
      Runtime.getRuntime().halt(1);
    }
    stopped.await();
  }

  private static int health(String address, String waitSeconds, String caCert) throws InterruptedException {
    if (address == null || !address.contains(":")) {
      System.err.print("health needs --address HOST:PORT\n" + USAGE);
      return 2;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds == null ? 0 : Long.parseLong(waitSeconds));
    String host = address.substring(0, address.lastIndexOf(':'));
    int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    ManagedChannel channel;
    if (caCert == null) {
      channel = ManagedChannelBuilder.forAddress(host, port).usePlaintext().build();
    } else {
      try {
        channel = Grpc.newChannelBuilderForAddress(host, port,
            TlsChannelCredentials.newBuilder().trustManager(new java.io.File(caCert)).build()).build();
      } catch (java.io.IOException e) {
        System.err.println("health: cannot read --cacert " + caCert + ": " + e.getMessage());
        return 2;
      }
    }
    try {
      String last;
      do {
        try {
          ServingStatus status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus();
          if (status == ServingStatus.SERVING) {
            System.out.println(address + " SERVING");
            return 0;
          }
          last = status.name();
        } catch (RuntimeException e) {
          last = e.getMessage();
          // Otherwise the channel waits out its reconnect backoff (seconds) after the node's
          // port opens, and readiness is noticed late.
          channel.resetConnectBackoff();
        }
        if (System.nanoTime() < deadline) {
          Thread.sleep(100); // polling a remote process: there is no event to wait on
        }
      } while (System.nanoTime() < deadline);
      System.out.println(address + " " + last);
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }
}
