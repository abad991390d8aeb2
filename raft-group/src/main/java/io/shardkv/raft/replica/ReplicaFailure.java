package io.shardkv.raft.replica;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import io.shardkv.raft.metrics.MetricNames;
import java.util.Optional;
import org.apache.ratis.server.protocol.TermIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why one replica may no longer serve, once something went wrong: the store failure that
 * stopped its applying (DESIGN invariant 8) or the scrub that found its data different from its
 * digest (invariant 10). The first reason sticks; each is logged and counted once.
 */
final class ReplicaFailure {
  /** The replica's lines keep the state machine's logger name, which operators grep for. */
  private static final Logger LOG = LoggerFactory.getLogger(ShardStateMachine.class);

  private final int shard;
  private final Counter applyFailures;
  private final Object lock = new Object();
  private volatile Throwable failure;

  ReplicaFailure(int shard, MetricRegistry metrics) {
    this.shard = shard;
    this.applyFailures = metrics.counter(MetricNames.applyFailures(shard));
  }

  /** The apply of {@code ti} failed with {@code e}: this replica stops applying. Returns {@code e} to throw. */
  RuntimeException applyFailed(TermIndex ti, RuntimeException e) {
    synchronized (lock) {
      if (failure != null) {
        return e; // logged and counted once
      }
      failure = e;
    }
    applyFailures.inc();
    LOG.error("shard {}: apply of {} failed; this replica stops applying (never skips an entry): {}",
        shard, ti, e.toString());
    return e;
  }

  /** A scrub found the data different from its digest: no read is served from now on. */
  void dataCorrupt(String reason) {
    synchronized (lock) {
      if (failure != null) {
        return;
      }
      failure = new ReplicaCorruptException("shard " + shard + ": " + reason);
    }
    LOG.error("shard {}: replica data does not match its digest; it serves no reads until re-synced: {}", shard, reason);
  }

  /** The reason, if any. */
  Optional<Throwable> current() {
    return Optional.ofNullable(failure);
  }
}
