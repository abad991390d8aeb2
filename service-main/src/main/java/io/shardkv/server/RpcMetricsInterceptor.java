package io.shardkv.server;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.shardkv.raft.metrics.MetricNames;

/**
 * Records every RPC: a latency timer {@code shardkv_rpc_seconds{service,method}} (its count is
 * the request rate) and {@code shardkv_rpc_errors_total{service,method,code}} for calls that end
 * with a non-OK status.
 */
final class RpcMetricsInterceptor implements ServerInterceptor {
  private final MetricRegistry metrics;

  RpcMetricsInterceptor(MetricRegistry metrics) {
    this.metrics = metrics;
  }

  /** {@code ["KV", "Put"]} for {@code shardkv.v1.KV/Put}: the short service and method name. */
  static String[] serviceAndMethod(String fullMethodName) {
    int slash = fullMethodName.lastIndexOf('/');
    String service = fullMethodName.substring(0, slash);
    return new String[] {service.substring(service.lastIndexOf('.') + 1), fullMethodName.substring(slash + 1)};
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String[] sm = serviceAndMethod(call.getMethodDescriptor().getFullMethodName());
    Timer.Context timer = metrics.timer(MetricNames.labelled("shardkv_rpc_seconds", "service", sm[0],
        "method", sm[1])).time();
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        timer.stop();
        if (!status.isOk()) {
          metrics.counter(MetricNames.labelled("shardkv_rpc_errors_total", "service", sm[0], "method", sm[1],
              "code", status.getCode().name())).inc();
        }
        super.close(status, trailers);
      }
    }, headers);
  }
}
