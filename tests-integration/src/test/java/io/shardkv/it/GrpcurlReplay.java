package io.shardkv.it;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the grpcurl commands written in a Markdown page the way grpcurl would: through server
 * reflection only (no generated stubs), JSON in and out. grpcurl itself is not installable here,
 * and the point is to prove the documented commands work against a live node.
 */
final class GrpcurlReplay {
  /** One documented command: its arguments and the documented output that follows it. */
  record Command(List<String> args, String documentedOutput) {
    /** The gRPC code the page says this command fails with, if it documents a failure. */
    Optional<Status.Code> documentedError() {
      Matcher m = Pattern.compile("Code: (\\w+)").matcher(documentedOutput);
      if (!documentedOutput.strip().startsWith("ERROR:") || !m.find()) {
        return Optional.empty();
      }
      // grpcurl prints codes in CamelCase: PermissionDenied -> PERMISSION_DENIED.
      return Optional.of(Status.Code.valueOf(m.group(1).replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT)));
    }
  }

  /** What running a command produced. */
  record Result(Status.Code code, String output) {}

  private GrpcurlReplay() {}

  /**
   * Every grpcurl command in a fenced {@code sh} block, with the text of the fenced block right
   * after it (empty if the next block is another command).
   */
  static List<Command> commands(String markdown, Map<String, String> variables) {
    List<String[]> blocks = new ArrayList<>(); // {language, body}
    Matcher m = Pattern.compile("(?m)^```(\\w*)\\n(.*?)^```", Pattern.DOTALL).matcher(markdown);
    while (m.find()) {
      blocks.add(new String[] {m.group(1), m.group(2)});
    }
    List<Command> out = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      if (!blocks.get(i)[0].equals("sh")) {
        continue;
      }
      String following = i + 1 < blocks.size() && !blocks.get(i + 1)[0].equals("sh") ? blocks.get(i + 1)[1] : "";
      for (String line : blocks.get(i)[1].replace("\\\n", " ").split("\n")) {
        if (line.startsWith("grpcurl ")) {
          out.add(new Command(split(line, variables), following));
        }
      }
    }
    return out;
  }

  /** Splits a shell command line: single quotes literal, double quotes expand $VARIABLES. */
  static List<String> split(String line, Map<String, String> variables) {
    List<String> args = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inArg = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\'') {
        int end = line.indexOf('\'', i + 1);
        cur.append(line, i + 1, end);
        i = end;
        inArg = true;
      } else if (c == '"') {
        int end = line.indexOf('"', i + 1);
        cur.append(expand(line.substring(i + 1, end), variables));
        i = end;
        inArg = true;
      } else if (Character.isWhitespace(c)) {
        if (inArg) {
          args.add(cur.toString());
          cur.setLength(0);
          inArg = false;
        }
      } else {
        cur.append(c);
        inArg = true;
      }
    }
    if (inArg) {
      args.add(cur.toString());
    }
    return args;
  }

  private static String expand(String s, Map<String, String> variables) {
    Matcher m = Pattern.compile("\\$(\\w+)").matcher(s);
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      String value = variables.get(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException("the page uses $" + m.group(1) + ", which the test does not define");
      }
      m.appendReplacement(b, Matcher.quoteReplacement(value));
    }
    return m.appendTail(b).toString();
  }

  /**
   * Runs one command. {@code channels} maps the documented address (e.g. 127.0.0.1:7001) to a
   * channel to the node the test started in its place.
   */
  static Result run(Command command, java.util.function.Function<String, Channel> channels) throws Exception {
    Iterator<String> it = command.args().iterator();
    it.next(); // grpcurl
    String data = null;
    Metadata headers = new Metadata();
    List<String> positional = new ArrayList<>();
    while (it.hasNext()) {
      String a = it.next();
      switch (a) {
        case "-plaintext" -> { }
        case "-d" -> data = it.next();
        case "-H" -> {
          String h = it.next();
          int colon = h.indexOf(':');
          headers.put(Metadata.Key.of(h.substring(0, colon).strip().toLowerCase(Locale.ROOT),
              Metadata.ASCII_STRING_MARSHALLER), h.substring(colon + 1).strip());
        }
        default -> {
          if (a.startsWith("-")) {
            throw new IllegalArgumentException("grpcurl flag " + a + " is not replayed by the test");
          }
          positional.add(a);
        }
      }
    }
    Channel channel = ClientInterceptors.intercept(channels.apply(positional.get(0)),
        MetadataUtils.newAttachHeadersInterceptor(headers));
    String verb = positional.get(1);
    if (verb.equals("list")) {
      return new Result(Status.Code.OK, String.join("\n", listServices(channel)));
    }
    if (verb.equals("describe")) {
      ServiceDescriptor service = service(channel, positional.get(2));
      return new Result(Status.Code.OK, service.toProto().toString());
    }
    int slash = verb.lastIndexOf('/');
    MethodDescriptor method = service(channel, verb.substring(0, slash)).findMethodByName(verb.substring(slash + 1));
    if (method == null) {
      throw new IllegalArgumentException("no method " + verb);
    }
    DynamicMessage.Builder request = DynamicMessage.newBuilder(method.getInputType());
    if (data != null) {
      JsonFormat.parser().merge(data, request);
    }
    io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> grpcMethod =
        io.grpc.MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
            .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(
                method.getService().getFullName(), method.getName()))
            .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getInputType())))
            .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getOutputType())))
            .build();
    try {
      DynamicMessage response = ClientCalls.blockingUnaryCall(channel, grpcMethod,
          CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), request.build());
      return new Result(Status.Code.OK, JsonFormat.printer().print(response));
    } catch (io.grpc.StatusRuntimeException e) {
      return new Result(e.getStatus().getCode(), "ERROR:\n  Code: " + e.getStatus().getCode()
          + "\n  Message: " + e.getStatus().getDescription());
    }
  }

  static List<String> listServices(Channel channel) throws Exception {
    ServerReflectionResponse r = reflect(channel, ServerReflectionRequest.newBuilder().setListServices("*").build());
    TreeSet<String> names = new TreeSet<>();
    r.getListServicesResponse().getServiceList().forEach(s -> names.add(s.getName()));
    return new ArrayList<>(names);
  }

  private static ServiceDescriptor service(Channel channel, String name) throws Exception {
    ServerReflectionResponse r = reflect(channel,
        ServerReflectionRequest.newBuilder().setFileContainingSymbol(name).build());
    if (r.hasErrorResponse()) {
      throw new IllegalArgumentException("reflection: " + r.getErrorResponse().getErrorMessage());
    }
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    FileDescriptorProto first = null;
    for (var bytes : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
      FileDescriptorProto p = FileDescriptorProto.parseFrom(bytes);
      protos.put(p.getName(), p);
      first = first == null ? p : first;
    }
    FileDescriptor file = build(first.getName(), protos, new HashMap<>());
    ServiceDescriptor service = file.findServiceByName(name.substring(name.lastIndexOf('.') + 1));
    if (service == null) {
      throw new IllegalArgumentException("no service " + name + " in " + file.getName());
    }
    return service;
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> protos,
      Map<String, FileDescriptor> built) throws DescriptorValidationException, InvalidProtocolBufferException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw new InvalidProtocolBufferException("reflection did not send " + name);
    }
    List<FileDescriptor> deps = new ArrayList<>();
    for (String dep : proto.getDependencyList()) {
      deps.add(build(dep, protos, built));
    }
    FileDescriptor fd = FileDescriptor.buildFrom(proto, deps.toArray(FileDescriptor[]::new));
    built.put(name, fd);
    return fd;
  }

  private static ServerReflectionResponse reflect(Channel channel, ServerReflectionRequest request) throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse value) {
            answer.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            answer.completeExceptionally(new IllegalStateException("reflection stream ended without an answer"));
          }
        });
    requests.onNext(request);
    ServerReflectionResponse r = answer.get(30, TimeUnit.SECONDS);
    requests.onCompleted();
    return r;
  }
}
