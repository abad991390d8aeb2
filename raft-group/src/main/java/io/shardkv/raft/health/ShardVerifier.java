package io.shardkv.raft.health;

import com.codahale.metrics.MetricRegistry;
import io.shardkv.api.raft.v1.DigestQuery;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.ratis.RatisBytes;
import io.shardkv.raft.replica.DigestHistoryCodec;
import io.shardkv.raft.replica.DigestPoint;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ReplicaDigest;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin VerifyShard: asks every replica of a shard for its recent (index, digest) points (a
 * Ratis stale read addressed to each member, answered from memory by its state machine), and
 * compares the digests at the newest index all of them still remember. Replicas stand at
 * slightly different indexes at any moment, so a few attempts are made before a shard is
 * reported {@code incomplete}.
 */
public final class ShardVerifier {
  private static final Logger LOG = LoggerFactory.getLogger(ShardVerifier.class);
  private static final int ATTEMPTS = 5;
  private static final Duration BETWEEN_ATTEMPTS = Duration.ofMillis(200);

  private final List<RaftClient> clients;
  private final Members members;
  private final Duration timeout;
  private final MetricRegistry metrics;

  /** The current members of a shard's group. */
  public interface Members {
    Collection<RaftPeer> of(int shard) throws IOException;
  }

  public ShardVerifier(List<RaftClient> clients, Members members, Duration timeout, MetricRegistry metrics) {
    this.clients = List.copyOf(clients);
    this.members = members;
    this.timeout = timeout;
    this.metrics = metrics;
  }

  /** Verifies {@code shard}; never throws for an unreachable replica (that is a result). */
  public ShardVerification verify(int shard) throws IOException, InterruptedException {
    ShardVerification last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      last = compare(shard, fetch(shard));
      boolean retryable = last.result() == ShardVerification.Result.INCOMPLETE
          && last.replicas().stream().noneMatch(r -> r.state() == ShardVerification.ReplicaState.UNREACHABLE);
      if (!retryable) {
        break;
      }
      Thread.sleep(BETWEEN_ATTEMPTS.toMillis());
    }
    metrics.counter(MetricNames.verifyChecks(last.result().label())).inc();
    if (last.result() == ShardVerification.Result.MISMATCH) {
      LOG.warn("shard {}: VerifyShard mismatch at {}: {}", shard, last.comparedAt().map(Object::toString).orElse("-"),
          last.replicas().stream().map(r -> r.node() + "=" + r.state().label()
              + r.digest().map(d -> " " + d).orElse("") + r.failure().map(f -> " (" + f + ")").orElse(""))
              .collect(Collectors.joining(", ")));
    }
    return last;
  }

  /** One replica's answer, or its absence. */
  record Answer(String node, Optional<List<DigestPoint>> points, Optional<String> failure) {}

  private List<Answer> fetch(int shard) throws IOException, InterruptedException {
    RaftQuery query = RaftQuery.newBuilder().setDigests(DigestQuery.getDefaultInstance()).build();
    Map<String, CompletableFuture<RaftClientReply>> asked = new LinkedHashMap<>();
    for (RaftPeer p : members.of(shard)) {
      asked.put(p.getId().toString(), clients.get(shard).async().sendStaleRead(RatisBytes.toMessage(query), 0, p.getId()));
    }
    List<Answer> answers = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Map.Entry<String, CompletableFuture<RaftClientReply>> e : asked.entrySet()) {
      try {
        RaftClientReply reply = e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (!reply.isSuccess()) {
          answers.add(new Answer(e.getKey(), Optional.empty(), Optional.empty()));
          continue;
        }
        RaftQueryResult result = RaftQueryResult.parseFrom(RatisBytes.view(reply.getMessage().getContent()));
        String failure = result.getDigests().getFailure();
        answers.add(new Answer(e.getKey(), Optional.of(DigestHistoryCodec.points(result.getDigests())),
            failure.isEmpty() ? Optional.empty() : Optional.of(failure)));
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
          | com.google.protobuf.InvalidProtocolBufferException ex) {
        e.getValue().cancel(true);
        answers.add(new Answer(e.getKey(), Optional.empty(), Optional.empty()));
      }
    }
    return answers;
  }

  /** The comparison itself, separate from the fetching so it can be tested on its own. */
  static ShardVerification compare(int shard, List<Answer> answers) {
    List<Answer> comparable = answers.stream()
        .filter(a -> a.points().isPresent() && a.failure().isEmpty() && !a.points().get().isEmpty()).toList();
    Set<Long> common = null;
    for (Answer a : comparable) {
      Set<Long> indexes = a.points().get().stream().map(p -> p.at().index()).collect(Collectors.toCollection(TreeSet::new));
      if (common == null) {
        common = indexes;
      } else {
        common.retainAll(indexes);
      }
    }
    Optional<Long> at = common == null || common.isEmpty() ? Optional.empty() : common.stream().max(Long::compare);
    Map<String, ReplicaDigest> digestAt = new HashMap<>();
    Optional<AppliedIndex> comparedAt = Optional.empty();
    if (at.isPresent()) {
      for (Answer a : comparable) {
        for (DigestPoint p : a.points().get()) {
          if (p.at().index() == at.get()) {
            digestAt.put(a.node(), p.digest());
            comparedAt = Optional.of(p.at());
          }
        }
      }
    }
    // The digest most replicas share is taken as right; with three replicas one that differs
    // is outvoted. A tie (two replicas, two digests) marks both as differing.
    Map<ReplicaDigest, Long> votes = digestAt.values().stream()
        .collect(Collectors.groupingBy(d -> d, Collectors.counting()));
    long top = votes.values().stream().max(Long::compare).orElse(0L);
    List<ReplicaDigest> leaders = votes.entrySet().stream().filter(e -> e.getValue() == top).map(Map.Entry::getKey).toList();
    Optional<ReplicaDigest> majority = leaders.size() == 1 ? Optional.of(leaders.get(0)) : Optional.empty();

    List<ShardVerification.Replica> replicas = new ArrayList<>();
    boolean differs = false;
    boolean incomplete = comparable.size() < 2 || at.isEmpty();
    for (Answer a : answers) {
      Optional<AppliedIndex> newest = a.points().flatMap(p -> p.isEmpty() ? Optional.empty()
          : Optional.of(p.get(p.size() - 1).at()));
      ShardVerification.ReplicaState state;
      if (a.points().isEmpty()) {
        state = ShardVerification.ReplicaState.UNREACHABLE;
        incomplete = true;
      } else if (a.failure().isPresent()) {
        state = ShardVerification.ReplicaState.FAILED;
        differs = true;
      } else if (!digestAt.containsKey(a.node())) {
        state = ShardVerification.ReplicaState.NOT_COMPARED;
        incomplete = true;
      } else if (majority.isPresent() && majority.get().equals(digestAt.get(a.node()))) {
        state = ShardVerification.ReplicaState.MATCHES;
      } else {
        state = ShardVerification.ReplicaState.DIFFERS;
        differs = true;
      }
      replicas.add(new ShardVerification.Replica(a.node(), state, Optional.ofNullable(digestAt.get(a.node())),
          newest, a.failure()));
    }
    ShardVerification.Result result = differs ? ShardVerification.Result.MISMATCH
        : incomplete ? ShardVerification.Result.INCOMPLETE : ShardVerification.Result.MATCH;
    String detail = switch (result) {
      case MATCH -> "";
      case MISMATCH -> "replicas " + replicas.stream().filter(r -> r.state() == ShardVerification.ReplicaState.DIFFERS
              || r.state() == ShardVerification.ReplicaState.FAILED).map(ShardVerification.Replica::node).toList()
          + " differ from the others or have stopped; see docs/operations.md, \"Replica digests\"";
      case INCOMPLETE -> at.isEmpty() && comparable.size() >= 2
          ? "the replicas share no remembered index (one is far behind, or restarted since): retry"
          : "not every replica answered: retry when all are up";
    };
    return new ShardVerification(shard, result, comparedAt, replicas, detail);
  }
}
