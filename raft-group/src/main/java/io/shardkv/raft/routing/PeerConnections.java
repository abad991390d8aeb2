package io.shardkv.raft.routing;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.client.impl.RaftClientRpcWithProxy;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;

/**
 * Sends requests, as they are, to the peer each names, over one Ratis client's connections to
 * its group. Ratis's gRPC client ends a whole connection's stream when one reply says "not
 * leader" or "not ready" (every request pending on it fails), and refuses new requests on it
 * from then on, so a failed connection is replaced here. It is replaced only if it is still
 * the current one: many requests fail together, and each replacing the connection again would
 * fail the requests already resent over the new one.
 */
final class PeerConnections {
  private final RaftClientRpc rpc;

  PeerConnections(RaftClient client) {
    this.rpc = client.getClientRpc();
  }

  /** Sends {@code request} to {@code request.getServerId()}, unordered. */
  CompletableFuture<RaftClientReply> send(RaftClientRequest request) {
    RaftPeerId to = request.getServerId();
    Closeable connection = current(to);
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = rpc.sendRequestAsyncUnordered(request);
    } catch (RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    return reply.whenComplete((r, e) -> {
      if (e != null && endsConnection(e)) {
        replaceIfCurrent(to, connection);
      }
    });
  }

  /**
   * Whether a failure leaves the connection unusable. A request that merely timed out does not:
   * under load one slow answer must not fail every other request pending on the connection.
   */
  private boolean endsConnection(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof TimeoutIOException) {
      return false;
    }
    return cause instanceof NotLeaderException || cause instanceof LeaderNotReadyException
        || rpc.shouldReconnect(cause);
  }

  private Closeable current(RaftPeerId to) {
    if (rpc instanceof RaftClientRpcWithProxy<?> withProxy) {
      try {
        return withProxy.getProxies().getProxy(to);
      } catch (IOException e) {
        return null; // no connection yet: the send fails and is retried
      }
    }
    return null;
  }

  private synchronized void replaceIfCurrent(RaftPeerId to, Closeable failed) {
    if (!(rpc instanceof RaftClientRpcWithProxy<?> withProxy)) {
      rpc.handleException(to, new IOException("connection to " + to + " failed"), true);
      return;
    }
    if (failed == null || current(to) == failed) {
      withProxy.getProxies().resetProxy(to);
    }
  }
}
