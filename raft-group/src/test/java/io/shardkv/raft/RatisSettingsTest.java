package io.shardkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.apache.ratis.retry.RetryPolicy;
import org.junit.jupiter.api.Test;

class RatisSettingsTest {
  /** A restarted follower must not wait seconds for the leader's next retry (Ratis's default: 5 s). */
  @Test
  void leaderRetriesADownFollowerWithinAQuarterSecondEvenAfterManyErrors() {
    RetryPolicy policy = RetryPolicy.parse(RatisSettings.LEADER_RETRY_POLICY);
    for (int errors : new int[] {1, 10, 31, 1_000, 100_000}) {
      RetryPolicy.Action action = policy.handleAttemptFailure(() -> errors);
      assertThat(action.shouldRetry()).as("after %d errors", errors).isTrue();
      // The policy randomizes each wait around its base (up to 1.5x).
      assertThat(action.getSleepTime().toLong(TimeUnit.MILLISECONDS)).as("after %d errors", errors)
          .isLessThanOrEqualTo(375);
    }
  }
}
