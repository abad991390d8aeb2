package io.shardkv.server;

import io.grpc.stub.StreamObserver;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.BatchResponse;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.CompareAndSetResponse;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.DeletePrefixResponse;
import io.shardkv.api.v1.DeleteRequest;
import io.shardkv.api.v1.DeleteResponse;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.GetResponse;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.PutResponse;
import io.shardkv.api.v1.ScanRequest;
import io.shardkv.api.v1.ScanResponse;
import io.shardkv.router.KvRouter;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import jakarta.inject.Inject;

/**
 * The public {@code shardkv.v1.KV} service: validates each request at the edge, hands it to the
 * router and completes the call from the router's future (never blocking a gRPC thread).
 */
public final class KvService extends KVGrpc.KVImplBase {
  private final RequestValidator validator;
  private final KvRouter router;

  @Inject
  public KvService(RequestValidator validator, KvRouter router) {
    this.validator = validator;
    this.router = router;
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> out) {
    handle(request, validator::put, router::put, out);
  }

  @Override
  public void get(GetRequest request, StreamObserver<GetResponse> out) {
    handle(request, validator::get, router::get, out);
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
    handle(request, validator::delete, router::delete, out);
  }

  @Override
  public void batch(BatchRequest request, StreamObserver<BatchResponse> out) {
    handle(request, validator::batch, router::batch, out);
  }

  @Override
  public void scan(ScanRequest request, StreamObserver<ScanResponse> out) {
    handle(request, validator::scan, router::scan, out);
  }

  @Override
  public void deletePrefix(DeletePrefixRequest request, StreamObserver<DeletePrefixResponse> out) {
    handle(request, validator::deletePrefix, router::deletePrefix, out);
  }

  @Override
  public void compareAndSet(CompareAndSetRequest request, StreamObserver<CompareAndSetResponse> out) {
    handle(request, validator::compareAndSet, router::compareAndSet, out);
  }

  private static <Q, R> void handle(Q request, Consumer<Q> validate,
      Function<Q, CompletableFuture<R>> route, StreamObserver<R> out) {
    CompletableFuture<R> future;
    try {
      validate.accept(request);
      future = route.apply(request);
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    future.whenComplete((response, error) -> {
      if (error != null) {
        out.onError(StatusMapper.toStatus(error));
      } else {
        out.onNext(response);
        out.onCompleted();
      }
    });
  }
}
