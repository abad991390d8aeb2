package io.shardkv.server;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Locale;

/**
 * Records every RPC: a latency timer {@code shardkv_rpc_<method>_seconds} and an error counter
 * {@code shardkv_rpc_<method>_errors_total}, method names in snake case.
 */
final class RpcMetricsInterceptor implements ServerInterceptor {
  private final MetricRegistry metrics;

  RpcMetricsInterceptor(MetricRegistry metrics) {
    this.metrics = metrics;
  }

  static String metricStem(String fullMethodName) {
    String method = fullMethodName.substring(fullMethodName.lastIndexOf('/') + 1);
    return "shardkv_rpc_" + method.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String stem = metricStem(call.getMethodDescriptor().getFullMethodName());
    Timer.Context timer = metrics.timer(stem + "_seconds").time();
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        timer.stop();
        if (!status.isOk()) {
          metrics.counter(stem + "_errors_total").inc();
        }
        super.close(status, trailers);
      }
    }, headers);
  }
}
