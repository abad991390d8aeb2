package io.shardkv.server;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.shardkv.raft.client.ShardFailedException;
import io.shardkv.raft.client.ShardUnavailableException;
import io.shardkv.router.CrossShardBatchException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns failures from the layers below into the gRPC status a client can act on. */
final class StatusMapper {
  private static final Logger LOG = LoggerFactory.getLogger(StatusMapper.class);
  private static final long RETRY_AFTER_SECONDS = 1;

  private StatusMapper() {}

  static StatusRuntimeException toStatus(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (e instanceof CrossShardBatchException cross) {
      return Status.FAILED_PRECONDITION.withDescription(cross.getMessage()).asRuntimeException();
    }
    if (e instanceof ShardUnavailableException || e instanceof TimeoutException) {
      return unavailable(e.getMessage() + "; retry after " + RETRY_AFTER_SECONDS + "s");
    }
    if (e instanceof ShardFailedException) {
      return unavailable(e.getMessage() + "; this node's replica stopped, retry on another node");
    }
    if (e instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof IllegalStateException) {
      return Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof java.io.IOException) {
      return unavailable(e.getMessage() + "; retry after " + RETRY_AFTER_SECONDS + "s");
    }
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return unavailable("the node is stopping; retry on another node");
    }
    if (e instanceof CancellationException) {
      return Status.CANCELLED.withDescription("request cancelled").asRuntimeException();
    }
    LOG.error("unexpected failure serving a request", e);
    return Status.INTERNAL.withDescription(String.valueOf(e)).asRuntimeException();
  }

  /** UNAVAILABLE with a google.rpc.RetryInfo detail so clients can back off as told. */
  private static StatusRuntimeException unavailable(String message) {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Code.UNAVAILABLE_VALUE)
        .setMessage(message)
        .addDetails(Any.pack(RetryInfo.newBuilder()
            .setRetryDelay(Duration.newBuilder().setSeconds(RETRY_AFTER_SECONDS)).build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
