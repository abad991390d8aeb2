package io.shardkv.it;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.GetResponse;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.it.RegisterOp.Command;
import io.shardkv.it.RegisterOp.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Single reads and puts through a chosen node, recorded in a {@link HistoryLog} the way
 * {@link RegisterClient} records its own, so a test's deliberate calls (through an isolated or
 * a paused node) are checked for linearizability together with the clients' traffic: an
 * acknowledged put is a write, a put that failed after it was sent has an unknown outcome, a
 * read that failed constrains nothing and is left out.
 */
final class RecordedCalls {
  /** How a call ended: OK, or the failure's status code. */
  record Result<T>(Status.Code code, T value) {
    boolean ok() {
      return code == Status.Code.OK;
    }
  }

  private final ProcessCluster cluster;
  private final HistoryLog log;
  private final int clientId;

  /** {@code clientId}: the client number these calls carry in the history (one per caller). */
  RecordedCalls(ProcessCluster cluster, HistoryLog log, int clientId) {
    this.cluster = cluster;
    this.log = log;
    this.clientId = clientId;
  }

  HistoryLog log() {
    return log;
  }

  /** Puts {@code value} (unique in the test) through {@code node} and records the outcome. */
  Result<Void> put(int node, String key, String value, Duration deadline) {
    SendProbe probe = new SendProbe();
    int id = log.nextId();
    log.attemptedWrite(key, value);
    long invoked = System.nanoTime();
    try {
      KVGrpc.newBlockingStub(cluster.channel(node)).withInterceptors(probe)
          .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
          .put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build());
      log.add(new RegisterOp(id, clientId, key, new Command.Write(value), new Outcome.Written(), invoked,
          System.nanoTime()));
      return new Result<>(Status.Code.OK, null);
    } catch (StatusRuntimeException e) {
      if (probe.sent()) {
        log.add(new RegisterOp(id, clientId, key, new Command.Write(value), new Outcome.Unknown(), invoked,
            RegisterOp.NEVER));
      }
      return new Result<>(e.getStatus().getCode(), null);
    }
  }

  /** Puts through {@code node} until acknowledged or {@code timeout} passes; each attempt is recorded. */
  /**
   * Puts through {@code node} until one attempt is acknowledged, and returns the value that
   * was: each attempt writes a value of its own ({@code value}, then {@code value-retryN}), so
   * values stay unique, which the checker relies on.
   */
  String putUntilAcknowledged(int node, String key, String value, Duration timeout) {
    int[] attempt = {0};
    String[] acknowledged = {null};
    Await.until(timeout, "a put of " + key + " through n" + (node + 1) + " acknowledged", () -> {
      String v = attempt[0] == 0 ? value : value + "-retry" + attempt[0];
      attempt[0]++;
      if (put(node, key, v, Duration.ofSeconds(5)).ok()) {
        acknowledged[0] = v;
        return true;
      }
      return false;
    });
    return acknowledged[0];
  }

  /** A call on its way: whether its request has reached the connection yet, and its result. */
  record Pending<T>(SendProbe probe, CompletableFuture<Result<T>> result) {
    boolean sent() {
      return probe.sent();
    }
  }

  /** A linearizable read through {@code node}; the value is empty when the key is absent. */
  Result<Optional<String>> read(int node, String key, Duration deadline) {
    return readAsync(node, key, deadline).result().join();
  }

  /**
   * Sends a linearizable read through {@code node} now and records it when it completes (its
   * response time taken then, not when the caller looks): a read sent to a paused node waits
   * in the node's socket until it runs again.
   */
  Pending<Optional<String>> readAsync(int node, String key, Duration deadline) {
    SendProbe probe = new SendProbe();
    int id = log.nextId();
    long invoked = System.nanoTime();
    CompletableFuture<Result<Optional<String>>> result = new CompletableFuture<>();
    Futures.addCallback(KVGrpc.newFutureStub(cluster.channel(node)).withInterceptors(probe)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .get(GetRequest.newBuilder().setKey(bytes(key)).build()), new FutureCallback<GetResponse>() {
          @Override
          public void onSuccess(GetResponse r) {
            long completed = System.nanoTime();
            String value = r.getFound() ? r.getValue().toStringUtf8() : null;
            log.add(new RegisterOp(id, clientId, key, new Command.Read(), new Outcome.ReadValue(value), invoked,
                completed));
            result.complete(new Result<>(Status.Code.OK, Optional.ofNullable(value)));
          }

          @Override
          public void onFailure(Throwable t) {
            result.complete(new Result<>(Status.fromThrowable(t).getCode(), Optional.empty()));
          }
        }, MoreExecutors.directExecutor());
    return new Pending<>(probe, result);
  }

  /** A read through {@code node}, retried while the cluster elects, until it answers. */
  Optional<String> readUntilAnswered(int node, String key, Duration timeout) {
    List<Optional<String>> answer = new ArrayList<>();
    Await.until(timeout, "a read of " + key + " through n" + (node + 1) + " answered", () -> {
      Result<Optional<String>> r = read(node, key, Duration.ofSeconds(5));
      if (r.ok()) {
        answer.add(r.value());
      }
      return r.ok();
    });
    return answer.get(0);
  }

  /** A stale read of the node's own replica (not recorded: stale reads may lag). */
  Optional<String> staleRead(int node, String key) {
    GetResponse r = KVGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(5, TimeUnit.SECONDS)
        .get(GetRequest.newBuilder().setKey(bytes(key)).setStale(true).build());
    return r.getFound() ? Optional.of(r.getValue().toStringUtf8()) : Optional.empty();
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
