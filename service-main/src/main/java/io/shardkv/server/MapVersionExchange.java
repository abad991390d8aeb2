package io.shardkv.server;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * How nodes learn of a newer cluster map from each other's answers: every answer a node gives
 * carries the version of the map it has cached in the {@value #HEADER} header (or trailer, for
 * an answer without headers), and a node that reads a higher version in a peer's answer reads
 * the map at once instead of at its next periodic refresh. Clients may read the header too; it
 * tells them nothing they need.
 */
final class MapVersionExchange {
  static final String HEADER = "shardkv-map-version";
  static final Metadata.Key<String> KEY = Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private MapVersionExchange() {
  }

  /** Adds {@code version}'s value to every answer this server sends. */
  static ServerInterceptor telling(LongSupplier version) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          private boolean headersSent;

          @Override
          public void sendHeaders(Metadata h) {
            h.put(KEY, Long.toString(version.getAsLong()));
            headersSent = true;
            super.sendHeaders(h);
          }

          @Override
          public void close(Status status, Metadata trailers) {
            if (!headersSent) {
              trailers.put(KEY, Long.toString(version.getAsLong()));
            }
            super.close(status, trailers);
          }
        }, headers);
      }
    };
  }

  /** Hands every version a peer's answer carries to {@code heard}. */
  static ClientInterceptor hearing(LongConsumer heard) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onHeaders(Metadata h) {
                read(h);
                super.onHeaders(h);
              }

              @Override
              public void onClose(Status status, Metadata trailers) {
                read(trailers);
                super.onClose(status, trailers);
              }
            }, headers);
          }
        };
      }

      private void read(Metadata m) {
        String v = m.get(KEY);
        if (v == null) {
          return;
        }
        try {
          heard.accept(Long.parseLong(v));
        } catch (NumberFormatException e) {
          // Not a node of this version of shardkv: nothing to learn from it.
        }
      }
    };
  }
}
