package io.shardkv.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers a request whose bytes are not a valid message of the method's request type with
 * INVALID_ARGUMENT (DESIGN invariant 9: malformed requests are refused at the edge).
 *
 * <p>Without this, grpc-java parses the request before any service code runs, and a parse failure
 * escapes to the transport: the client gets UNKNOWN "Application error processing RPC" and the
 * node logs a stack trace for every such request. Here the service receives the request bytes
 * unparsed and parses them itself, so a failure becomes a status that names the request type and
 * the reason. Apply it to a service before its interceptors, so they see the refusal like any
 * other failed call.
 */
final class MalformedRequests {
  private MalformedRequests() {}

  /** {@code service} with every method parsing its own request (same names, schema and handlers). */
  static ServerServiceDefinition refusedAsInvalidArgument(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> wrapped = parsingItsOwnRequest(method);
      methods.add(wrapped);
      descriptor.addMethod(wrapped.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(out::addMethod);
    return out.build();
  }

  private static <Q, R> ServerMethodDefinition<InputStream, R> parsingItsOwnRequest(ServerMethodDefinition<Q, R> def) {
    MethodDescriptor<Q, R> typed = def.getMethodDescriptor();
    MethodDescriptor<InputStream, R> raw = typed.toBuilder(UNPARSED, typed.getResponseMarshaller()).build();
    ServerCallHandler<Q, R> handler = def.getServerCallHandler();
    String requestType = requestTypeName(typed);
    return ServerMethodDefinition.create(raw, (call, headers) -> {
      ServerCall.Listener<Q> delegate = handler.startCall(new TypedCall<>(call, typed), headers);
      return new ParsingListener<>(delegate, typed, call, requestType);
    });
  }

  private static String requestTypeName(MethodDescriptor<?, ?> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
        && p.getMessagePrototype() instanceof Message m) {
      return m.getDescriptorForType().getFullName();
    }
    return "request of " + method.getFullMethodName();
  }

  /** Hands the transport's input stream through untouched; the listener parses it. */
  private static final MethodDescriptor.Marshaller<InputStream> UNPARSED = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  };

  /** Parses each request; a failure closes the call with INVALID_ARGUMENT, and the service never sees it. */
  private static final class ParsingListener<Q> extends ServerCall.Listener<InputStream> {
    private final ServerCall.Listener<Q> delegate;
    private final MethodDescriptor<Q, ?> method;
    private final ServerCall<InputStream, ?> call;
    private final String requestType;
    private boolean refused;

    ParsingListener(ServerCall.Listener<Q> delegate, MethodDescriptor<Q, ?> method, ServerCall<InputStream, ?> call,
        String requestType) {
      this.delegate = delegate;
      this.method = method;
      this.call = call;
      this.requestType = requestType;
    }

    @Override
    public void onMessage(InputStream message) {
      if (refused) {
        return;
      }
      Q request;
      try {
        request = method.parseRequest(message);
      } catch (RuntimeException e) {
        refused = true;
        call.close(Status.INVALID_ARGUMENT.withDescription("request is not a valid " + requestType + ": "
            + reason(e)), new Metadata());
        return;
      }
      delegate.onMessage(request);
    }

    /** grpc's protobuf marshaller wraps the parser's exception, whose message says what is wrong. */
    private static String reason(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof InvalidProtocolBufferException) {
          return t.getMessage();
        }
      }
      return String.valueOf(e.getMessage());
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        delegate.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      delegate.onCancel();
    }

    @Override
    public void onComplete() {
      delegate.onComplete();
    }

    @Override
    public void onReady() {
      if (!refused) {
        delegate.onReady();
      }
    }
  }

  /** The transport's call as the service's typed call: everything forwarded, only the request type differs. */
  private static final class TypedCall<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<InputStream, R> call;
    private final MethodDescriptor<Q, R> method;

    TypedCall(ServerCall<InputStream, R> call, MethodDescriptor<Q, R> method) {
      this.call = call;
      this.method = method;
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      call.sendHeaders(headers);
    }

    @Override
    public void sendMessage(R message) {
      call.sendMessage(message);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      call.close(status, trailers);
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      call.setOnReadyThreshold(numBytes);
    }

    @Override
    public void triggerEvent(Object event) {
      call.triggerEvent(event);
    }

    @Override
    public Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return call.getSecurityLevel();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }
}
