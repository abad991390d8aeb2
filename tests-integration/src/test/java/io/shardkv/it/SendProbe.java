package io.shardkv.it;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Notes whether a call's request message was ever handed to a transport. A call that failed
 * before that (connection refused, channel in transient failure) certainly did not reach a
 * server, so a write that failed that way did not happen; any other failed write might have.
 */
final class SendProbe implements ClientInterceptor {
  private final AtomicBoolean sent = new AtomicBoolean();

  boolean sent() {
    return sent.get();
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    ClientStreamTracer.Factory factory = new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
        return new ClientStreamTracer() {
          @Override
          public void outboundMessage(int seqNo) {
            sent.set(true);
          }
        };
      }
    };
    return next.newCall(method, options.withStreamTracerFactory(factory));
  }
}
