package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.Properties;
import org.apache.ratis.client.impl.OrderedAsync;
import org.junit.jupiter.api.Test;

/**
 * The shipped logging configuration names the logger Ratis's client retries really use, so a
 * Ratis upgrade that moves the class brings the ERROR-per-retry lines back as a failing test,
 * not as an operator's false alarm.
 */
class LoggingConfigTest {
  @Test
  void ratisClientRetriesAreNotLoggedAtError() throws Exception {
    Properties config = new Properties();
    try (InputStream in = LoggingConfigTest.class.getResourceAsStream("/simplelogger.properties")) {
      config.load(in);
    }
    assertThat(config.getProperty("org.slf4j.simpleLogger.log." + OrderedAsync.LOG.getName())).isEqualTo("off");
  }

  /** FollowerTimeoutReport says it once instead; this is the logger Ratis logs each timeout on. */
  @Test
  void perRequestAppendTimeoutsAreNotLogged() throws Exception {
    Properties config = new Properties();
    try (InputStream in = LoggingConfigTest.class.getResourceAsStream("/simplelogger.properties")) {
      config.load(in);
    }
    assertThat(config.getProperty("org.slf4j.simpleLogger.log."
        + org.apache.ratis.grpc.server.GrpcLogAppender.LOG.getName())).isEqualTo("error");
  }
}
