package io.shardkv.raft.routing;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.raft.client.ReadConsistency;
import io.shardkv.raft.client.ShardFailedException;
import io.shardkv.raft.client.ShardGroupClient;
import io.shardkv.raft.client.ShardUnavailableException;
import io.shardkv.raft.command.ShardCommandExecutor;
import io.shardkv.raft.metrics.MetricNames;
import io.shardkv.raft.ratis.Causes;
import io.shardkv.raft.ratis.RatisBytes;
import io.shardkv.raft.ratis.RatisClientSettings;
import io.shardkv.raft.replica.ShardStateMachine;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;

/**
 * {@link ShardGroupClient} over this node's own Raft divisions and one Ratis client per group.
 * A write goes straight to the local division when this node leads the shard, else to the
 * leader's node over the Ratis client's connection; either way a write the group could not
 * take (no leader, a leader handing over) is resent unchanged, so the retry cache deduplicates
 * it. A linearizable read goes to the local replica (leader or follower, see
 * {@link LocalDivisions}) and falls back to the Ratis client. Every call is bounded by the
 * configured request timeout, and failures become the two exceptions callers map to gRPC.
 */
public final class RatisShardGroupClient implements ShardGroupClient, AutoCloseable {
  private final List<RaftClient> clients;
  private final List<PeerConnections> connections;
  private final IntFunction<ShardStateMachine> localReplicas;
  private final Duration timeout;
  /** How long one attempt of a read may go unanswered before it is sent again. */
  private final long attemptNanos;
  /** Wait between attempts of a local read or a resent write while a group has no leader. */
  private static final long RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private final ShardCommandExecutor executor = new ShardCommandExecutor();
  private final LocalDivisions local;
  private final Timer[] proposeStage;
  /**
   * Per shard, every configured node in the order to try them when no leader is known (the
   * shard's placed replicas first).
   */
  private volatile List<List<RaftPeerId>> candidates;
  /** Per shard, the node that last answered as its leader: where the next request starts. */
  private final AtomicReferenceArray<RaftPeerId> lastLeader;

  public RatisShardGroupClient(List<RaftClient> clients, IntFunction<ShardStateMachine> localReplicas,
      LocalDivisions local, List<List<RaftPeerId>> candidates, Duration timeout, MetricRegistry metrics) {
    this.clients = List.copyOf(clients);
    this.candidates = candidates.stream().map(List::copyOf).toList();
    this.lastLeader = new AtomicReferenceArray<>(clients.size());
    this.connections = clients.stream().map(PeerConnections::new).toList();
    this.localReplicas = localReplicas;
    this.local = local;
    this.timeout = timeout;
    this.attemptNanos = RatisClientSettings.clientAttemptTimeout(timeout).toNanos();
    this.proposeStage = new Timer[clients.size()];
    for (int s = 0; s < clients.size(); s++) {
      proposeStage[s] = metrics.timer(MetricNames.writeStageSeconds("propose", s));
    }
  }

  /**
   * A node the cluster map added: every group's client learns its address (a "not leader" reply
   * may name it), and it is tried last when no leader is known.
   */
  public synchronized void addNode(RaftPeer node) {
    for (RaftClient c : clients) {
      c.getClientRpc().addRaftPeers(List.of(node));
    }
    candidates = candidates.stream().map(list -> {
      if (list.contains(node.getId())) {
        return list;
      }
      List<RaftPeerId> more = new java.util.ArrayList<>(list);
      more.add(node.getId());
      return List.copyOf(more);
    }).toList();
  }

  @Override
  public int shardCount() {
    return clients.size();
  }

  @Override
  public CompletableFuture<RaftCommandResult> submit(int shard, RaftCommand command) {
    long start = System.nanoTime();
    Message message = RatisBytes.toMessage(command);
    long deadline = start + timeout.toNanos();
    Optional<RaftClientRequest> leaderHere = local.writeRequestIfLeader(shard, message);
    CompletableFuture<RaftClientReply> reply = leaderHere.isPresent()
        ? local.submit(leaderHere.get()).thenCompose(r -> isLeaderless(r)
            ? sendToLeader(shard, leaderHere.get(), r, null, deadline) : CompletableFuture.completedFuture(r))
        : sendToLeader(shard, local.writeRequest(shard, message), null, null, deadline);
    return bounded(shard, reply)
        .thenApply(r -> decode(shard, r, RaftCommandResult::parseFrom))
        .whenComplete((r, e) -> proposeStage[shard].update(System.nanoTime() - start, TimeUnit.NANOSECONDS));
  }

  @Override
  public CompletableFuture<RaftQueryResult> query(int shard, RaftQuery query, ReadConsistency consistency) {
    ShardStateMachine replica = localReplicas.apply(shard);
    if (consistency == ReadConsistency.STALE && replica != null) {
      // A stale read never leaves the node: the local replica answers from its store. (A node
      // that holds no replica of the shard reads through the group instead.)
      try {
        return CompletableFuture.completedFuture(executor.query(replica.requireHealthy(), query));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    Message message = RatisBytes.toMessage(query);
    long deadline = System.nanoTime() + timeout.toNanos();
    CompletableFuture<RaftClientReply> reply = local.hosts(shard)
        ? readLocally(shard, message, deadline)
        : readThroughMembers(shard, message, deadline);
    return bounded(shard, reply)
        .thenApply(r -> decode(shard, r, RaftQueryResult::parseFrom));
  }

  /**
   * A linearizable read through the local replica, tried again while its group has no leader
   * it can ask for the read index (an election or a leadership transfer), or while an attempt
   * goes unanswered: reads are idempotent, so retrying until the deadline is safe, as the Ratis
   * client's own retries would be.
   */
  private CompletableFuture<RaftClientReply> readLocally(int shard, Message message, long deadline) {
    RaftPeerId[] target = {null};
    // The local replica can go away between attempts (removed by a move): then the read goes
    // through the members like any node's that holds no replica.
    return new IdempotentRetry<RaftClientReply>(
        () -> local.linearizableRead(shard, message).orElseGet(() -> readThroughMember(shard, message, target)),
        r -> isLeaderless(r) || isNotAMember(r, null), attemptNanos, RETRY_PAUSE_NANOS, System::nanoTime)
        .runUntil(deadline);
  }

  /**
   * A linearizable read of a shard this node holds no replica of: sent to the node most likely
   * to lead it (any member answers it through the leader's read index), and to the next one
   * while the answer is "no leader" or "not a member here".
   */
  private CompletableFuture<RaftClientReply> readThroughMembers(int shard, Message message, long deadline) {
    RaftPeerId[] target = {null};
    return new IdempotentRetry<RaftClientReply>(() -> readThroughMember(shard, message, target),
        r -> isLeaderless(r) || isNotAMember(r, null), attemptNanos, RETRY_PAUSE_NANOS, System::nanoTime)
        .runUntil(deadline);
  }

  /**
   * One attempt of a read through a member: sent to {@code target[0]} (the likely leader when
   * null), which is then set to where the next attempt goes. Never the Ratis client's own read
   * path: its ordered pipeline closes for good when the node it believes leads answers "group
   * not found" (a node removed from the shard it led, or this node once its replica was
   * removed), and every later read through that client then fails at once.
   */
  private CompletableFuture<RaftClientReply> readThroughMember(int shard, Message message, RaftPeerId[] target) {
    RaftPeerId to = target[0] != null ? target[0] : leaderHint(shard, null, null, null);
    return clients.get(shard).async().sendReadOnlyUnordered(message, to).handle((r, e) -> {
      target[0] = leaderHint(shard, r, e, to);
      if (e != null) {
        throw e instanceof CompletionException ce ? ce : new CompletionException(e);
      }
      remember(shard, r);
      return r;
    });
  }

  /**
   * Sends a write to the shard's leader, and sends THE SAME request (same client and call id)
   * again, after a pause, while the answer says the group has no leader to take it (an
   * election, a leadership transfer, a leader that is stepping down) or the leader could not be
   * reached, until the deadline. A leader's retry cache answers a request whose entry it
   * already holds (a leader applies every earlier entry before it takes writes, and followers
   * record applied requests too), so a command is never applied twice; this is how the Ratis
   * client retries as well. The Ratis client's own retries are not used for writes because it
   * hands a stepping-down refusal straight back to the caller.
   *
   * @param last the previous answer, whose "not leader" reply may name the new leader
   * @param failure the previous failure, which may carry such a reply as an exception
   */
  private CompletableFuture<RaftClientReply> sendToLeader(int shard, RaftClientRequest request,
      RaftClientReply last, Throwable failure, long deadline) {
    return sendToLeader(shard, request, leaderHint(shard, last, failure, null), deadline);
  }

  private CompletableFuture<RaftClientReply> sendToLeader(int shard, RaftClientRequest request, RaftPeerId target,
      long deadline) {
    RaftClientRequest to = RaftClientRequest.newBuilder().set(request).setServerId(target).build();
    return connections.get(shard).send(to).handle((r, e) -> {
      if (e == null && !isLeaderless(r) && !isNotAMember(r, null)) {
        remember(shard, r);
        return CompletableFuture.completedFuture(r);
      }
      if (System.nanoTime() + RETRY_PAUSE_NANOS >= deadline) {
        return e == null ? CompletableFuture.completedFuture(r) : CompletableFuture.<RaftClientReply>failedFuture(e);
      }
      RaftPeerId next = leaderHint(shard, r, e, target);
      return retryPause().thenCompose(ignored -> sendToLeader(shard, request, next, deadline));
    }).thenCompose(f -> f);
  }

  /**
   * Where to send a request next: the leader a refusal names; else, if {@code previous} could
   * not be reached or said it holds no replica of the shard, the next configured node after it;
   * else the leader this node
   * knows of (its own replica's view, then the last node that answered as leader, then the Ratis
   * client's), skipping this node itself when it holds no replica of the shard.
   */
  private RaftPeerId leaderHint(int shard, RaftClientReply last, Throwable failure, RaftPeerId previous) {
    NotLeaderException notLeader = last != null ? last.getNotLeaderException()
        : Causes.of(failure).filter(NotLeaderException.class::isInstance).map(NotLeaderException.class::cast)
            .findFirst().orElse(null);
    if (notLeader != null && notLeader.getSuggestedLeader() != null) {
      return notLeader.getSuggestedLeader().getId();
    }
    if (previous != null && (failure != null || isNotAMember(last, failure))) {
      return nextPeer(shard, previous); // unreachable, or holds no replica: try the next node
    }
    RaftPeerId known = local.leaderOf(shard)
        .or(() -> Optional.ofNullable(lastLeader.get(shard)))
        .or(() -> Optional.ofNullable(clients.get(shard).getLeaderId()))
        .orElse(local.self());
    return known.equals(local.self()) && !local.hosts(shard) ? nextPeer(shard, known) : known;
  }

  /** The configured node after {@code after}, never this node when it holds no replica of the shard. */
  private RaftPeerId nextPeer(int shard, RaftPeerId after) {
    List<RaftPeerId> peers = candidates.get(shard);
    int i = peers.indexOf(after);
    for (int step = 1; step <= peers.size(); step++) {
      RaftPeerId candidate = peers.get(Math.floorMod(i + step, peers.size()));
      if (!candidate.equals(local.self()) || local.hosts(shard)) {
        return candidate;
      }
    }
    return after;
  }

  /** A node that answered a request as the shard's leader is where the next one starts. */
  private void remember(int shard, RaftClientReply reply) {
    if (reply.isSuccess() && reply.getServerId() != null) {
      lastLeader.set(shard, reply.getServerId());
    }
  }

  /** The node asked holds no replica of the group (removed from it): "group not found". */
  private static boolean isNotAMember(RaftClientReply reply, Throwable failure) {
    Throwable e = reply != null ? reply.getException() : failure;
    return Causes.include(e, GroupMismatchException.class);
  }


  /** Completes after the pause between two attempts, without holding a thread meanwhile. */
  private static CompletableFuture<Void> retryPause() {
    return CompletableFuture.runAsync(() -> { },
        CompletableFuture.delayedExecutor(RETRY_PAUSE_NANOS, TimeUnit.NANOSECONDS));
  }

  /**
   * Failures that mean "the group has no leader to take this request right now" (an election
   * or a leadership transfer), not a problem with the request itself.
   */
  private static boolean isLeaderless(RaftClientReply reply) {
    return !reply.isSuccess() && (reply.getReadIndexException() != null || reply.getReadException() != null
        || reply.getNotLeaderException() != null || reply.getLeaderNotReadyException() != null
        || reply.getLeaderSteppingDownException() != null);
  }

  private CompletableFuture<RaftClientReply> bounded(int shard, CompletableFuture<RaftClientReply> call) {
    return call.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(e -> {
          throw translate(shard, e);
        });
  }

  private static RuntimeException translate(int shard, Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof ShardUnavailableException || cause instanceof ShardFailedException) {
      return (RuntimeException) cause;
    }
    if (cause instanceof StateMachineException) {
      return new ShardFailedException("shard " + shard + ": " + cause.getMessage(), cause);
    }
    if (cause instanceof TimeoutException) {
      return new ShardUnavailableException(shard, "no answer from the group within the request timeout", cause);
    }
    return new ShardUnavailableException(shard, cause.toString(), cause);
  }

  private static <T> T decode(int shard, RaftClientReply reply, ProtoParser<T> parser) {
    if (!reply.isSuccess()) {
      throw translate(shard, reply.getException() != null ? reply.getException()
          : new IOException("request failed without an exception"));
    }
    try {
      return parser.parse(RatisBytes.view(reply.getMessage().getContent()));
    } catch (InvalidProtocolBufferException e) {
      throw new ShardFailedException("shard " + shard + ": undecodable reply", e);
    }
  }

  /** Parses a reply payload from bytes. */
  @FunctionalInterface
  private interface ProtoParser<T> {
    T parse(java.nio.ByteBuffer bytes) throws InvalidProtocolBufferException;
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (RaftClient c : clients) {
      try {
        c.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
