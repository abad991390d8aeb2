package io.shardkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.RetryInfo;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.shardkv.api.v1.AddReplicaRequest;
import io.shardkv.api.v1.AddReplicaResponse;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.BatchResponse;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.ClusterStatusResponse;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.CompareAndSetResponse;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.DeletePrefixResponse;
import io.shardkv.api.v1.DeleteRequest;
import io.shardkv.api.v1.DeleteResponse;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.GetResponse;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.KeyValue;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.NodeStatus;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.PutResponse;
import io.shardkv.api.v1.RemoveReplicaRequest;
import io.shardkv.api.v1.RemoveReplicaResponse;
import io.shardkv.api.v1.ScanRequest;
import io.shardkv.api.v1.ScanResponse;
import io.shardkv.api.v1.ShardStatus;
import io.shardkv.api.v1.ShardSnapshot;
import io.shardkv.api.v1.TakeSnapshotRequest;
import io.shardkv.api.v1.TakeSnapshotResponse;
import io.shardkv.api.v1.TransferLeaderRequest;
import io.shardkv.api.v1.TransferLeaderResponse;
import io.shardkv.it.FuzzRequests.Auth;
import io.shardkv.it.FuzzRequests.Call;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seeded random fuzzing of the public API against one 3-node cluster: random, malformed and
 * oversized requests to every KV and Admin method (see {@link FuzzRequests}), each sent as raw
 * bytes through a byte-array marshaller to a random node, with or without the admin token.
 *
 * <p>For every answer: it is OK or a code docs/api.md lists for that method (the table is parsed,
 * so the page and the code cannot drift apart), never INTERNAL or UNKNOWN; it is the code this
 * request calls for (an oracle of the documented rules: limits, shards, credentials, membership);
 * an INVALID_ARGUMENT names the field and the limit; an UNAVAILABLE carries a RetryInfo. Every
 * acknowledged write is mirrored in a sorted map (unsigned byte order) and every linearizable read
 * is checked against it; a write answered UNAVAILABLE is read back and must have applied entirely
 * or not at all. After each try every node must report SERVING; four times in the run, and at
 * the end, a full Scan through every node must equal the map, and at the end every shard must be
 * back on all three nodes with every replica holding the map.
 *
 * <p>One cluster for the whole run, started once for the class. The calls come from one
 * {@link FuzzRandom} seeded with {@code -Dshardkv.fuzz.seed=S} (a random seed if not given,
 * printed at the start): {@code -Dshardkv.fuzz.tries=N} tries (default {@value #DEFAULT_TRIES}),
 * each a list of 1 to {@value FuzzRequests#MAX_CALLS_PER_TRY} calls followed by the health check.
 * The cluster's state carries over from try to try, which the model follows.
 *
 * <p>There is no shrinking. A failure reports the seed, the index of the failing call within the
 * run (counted from 1 over every call drawn, skipped ones included; calls.log numbers its lines
 * the same way), its try, and the call itself (the {@link Call} record's toString); a failure in
 * the checks between tries or at the end reports the try and the last call. What a seed draws
 * does not depend on the cluster's answers, so {@code -Dshardkv.fuzz.seed=S} sends the same
 * calls in the same order again (the same {@code -Dshardkv.fuzz.tries=N} also puts the full scans
 * at the same tries); the timing (elections, who leads) is the cluster's own.
 *
 * <p>Admin calls that change membership are sent as generated, with one rule so that every shard
 * keeps a majority and stays readable: a valid RemoveReplica is only sent while every shard has all
 * three replicas (otherwise it is skipped and counted). AddReplica is always sent. After a
 * membership call the test waits until every node reports the same replicas and, if they changed,
 * writes and reads a key of that shard through every node (a node serves every shard, holding a
 * replica or not; RemovedReplicaRoutingIT is the case this found). At the end every missing replica
 * is added back. Every call and its answer is written to {@code calls.log}, kept with the node
 * logs when the run fails.
 */
class ApiFuzzIT {
  private static final Path ROOT = Path.of(System.getProperty("shardkv.repo.root", "..")).toAbsolutePath().normalize();
  private static final String TOKEN = "api-fuzz-it-admin-token-0123456789";
  static final int DEFAULT_TRIES = 200;
  private static final long CALL_DEADLINE_SECONDS = 30;
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final Comparator<ByteString> ORDER = ByteString.unsignedLexicographicalComparator();
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Set<String> CHANGES_MEMBERSHIP = Set.of(AdminGrpc.getAddReplicaMethod().getFullMethodName(),
      AdminGrpc.getRemoveReplicaMethod().getFullMethodName());
  private static final Set<String> NEEDS_ADMIN = Set.of(AdminGrpc.getTakeSnapshotMethod().getFullMethodName(),
      AdminGrpc.getTransferLeaderMethod().getFullMethodName(), AdminGrpc.getAddReplicaMethod().getFullMethodName(),
      AdminGrpc.getRemoveReplicaMethod().getFullMethodName());
  private static final Map<String, Message> REQUEST_TYPES = requestTypes();
  private static final Map<String, MethodDescriptor<byte[], byte[]>> RAW = new ConcurrentHashMap<>();

  private static Path dir;
  private static ProcessCluster cluster;
  private static ApiStatusTable table;
  /** What the cluster holds, in the order Scan returns it. */
  private static final TreeMap<ByteString, ByteString> model = new TreeMap<>(ORDER);
  /** Every value each key ever had (a stale read may return any of them). */
  private static final Map<ByteString, Set<ByteString>> history = new HashMap<>();
  /** Each shard's replicas, as every node reports them. */
  private static final Map<Integer, List<String>> replicas = new TreeMap<>();
  /** Answers by method and code, for the summary. */
  private static final Map<String, Map<Status.Code, Integer>> answers = new TreeMap<>();
  /** Tries completed. */
  private static int tries;
  /** Calls drawn (the index of the one being sent, from 1), and calls sent (drawn less skipped). */
  private static long drawn;
  private static int calls;
  private static int ambiguousWrites;
  private static int removalsSkipped;
  /** Cleared only when the run and the final checks pass; keeps the node logs otherwise. */
  private static boolean failed = true;
  /** One line per call sent, kept with the node logs when the run fails. */
  private static java.io.PrintWriter callLog;

  @BeforeAll
  static void startCluster() throws Exception {
    table = ApiStatusTable.read(ROOT.resolve("docs/api.md"));
    dir = Files.createTempDirectory("api-fuzz-it-");
    Path token = dir.resolve("admin-token");
    Files.writeString(token, TOKEN + "\n");
    callLog = new java.io.PrintWriter(Files.newBufferedWriter(dir.resolve("calls.log")), true);
    cluster = new ProcessCluster(dir, FuzzRequests.clusterConfig(token));
    // Scan pages of the whole model must not hit the client's own 4 MiB default.
    cluster.useChannels(port -> ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(64 << 20).build());
    long start = System.nanoTime();
    cluster.startAll();
    System.out.printf("ApiFuzzIT: 3-node cluster SERVING after %d ms (%s)%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), dir);
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      replicas.put(s, FuzzRequests.NODES);
    }
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (callLog != null) {
      callLog.close();
    }
    if (cluster == null) {
      return;
    }
    if (failed) {
      cluster.dumpLogs();
    }
    cluster.close();
    if (failed) {
      System.out.println("ApiFuzzIT: node logs, data and every call sent (calls.log) kept in " + dir);
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Test
  void everyAnswerIsOkOrDocumentedAndEveryWriteMatchesASortedMap() {
    String seedProperty = System.getProperty("shardkv.fuzz.seed", "").strip();
    long seed = seedProperty.isEmpty() ? ThreadLocalRandom.current().nextLong() : Long.parseLong(seedProperty);
    int count = Integer.getInteger("shardkv.fuzz.tries", DEFAULT_TRIES);
    int checkEvery = Math.max(1, count / 4);
    String replay = "-Dshardkv.fuzz.seed=" + seed + " -Dshardkv.fuzz.tries=" + count;
    System.out.printf("ApiFuzzIT seed = %d, tries = %d (replay with %s)%n", seed, count, replay);
    FuzzRandom random = new FuzzRandom(seed);
    long start = System.nanoTime();
    String outcome = "FAILED";
    Call last = null;
    String where = "";
    try {
      while (tries < count) {
        List<Call> sample = FuzzRequests.calls(random);
        for (int i = 0; i < sample.size(); i++) {
          last = sample.get(i);
          drawn++;
          where = String.format("at call #%d (try %d, call %d of %d): %s", drawn, tries + 1, i + 1, sample.size(),
              last);
          send(last);
        }
        where = String.format("in the checks after try %d (calls #%d to #%d; the last: %s)", tries + 1,
            drawn - sample.size() + 1, drawn, last);
        everyNodeServes();
        if (++tries % checkEvery == 0) {
          everyNodeScansTheModel();
        }
      }
      where = String.format("in the final checks after all %d tries (%d calls; the last: %s)", count, drawn, last);
      finalChecks();
      failed = false;
      outcome = "PASSED";
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(String.format("ApiFuzzIT seed %d failed %s%n  replay with %s; calls.log and the node"
          + " logs are kept in %s (the cause below)", seed, where, replay, dir), e);
    } finally {
      System.out.printf("ApiFuzzIT seed = %d: %s after %d calls drawn, %d sent, in %d tries (%d s);"
          + " %d writes answered UNAVAILABLE"
          + " and read back; %d RemoveReplica calls skipped to keep every shard on a majority%n  answers: %s%n",
          seed, outcome, drawn, calls, tries, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
          ambiguousWrites, removalsSkipped, answersSummary());
    }
  }

  // ------------------------------------------------------------------ one call

  private record Answer(Status status, Metadata trailers, byte[] response) {}

  /** A description computed only when an assertion fails (it may print a megabyte request). */
  private record Lazy(java.util.function.Supplier<String> text) {
    @Override
    public String toString() {
      return text.get();
    }
  }

  /** Codes this request may be answered with, and words an INVALID_ARGUMENT must contain. */
  private record Expected(Set<Status.Code> codes, List<String> mentions, String why) {
    static Expected of(String why, Status.Code... codes) {
      return new Expected(Set.of(codes), List.of(), why);
    }

    static Expected invalid(String why, String... mentions) {
      return new Expected(Set.of(Status.Code.INVALID_ARGUMENT), List.of(mentions), why);
    }

    static Expected served(String why) {
      return of(why, Status.Code.OK, Status.Code.UNAVAILABLE);
    }
  }

  private static void send(Call call) {
    String method = call.req().method();
    byte[] bytes = call.body().apply(call.req().build(model::get).toByteArray());
    Optional<Message> request = parse(method, bytes); // what the node will see, if it parses
    Expected expected = expect(method, bytes, request, call.auth());
    if (removalThatLeavesTooFew(method, request, call.auth())) {
      removalsSkipped++;
      callLog.printf("call %d (try %d): %s: skipped, a shard is down a replica %s%n", drawn, tries + 1, call, replicas);
      return;
    }
    calls++;
    Answer answer = call(call.node(), method, bytes, call.auth());
    Status.Code code = answer.status().getCode();
    answers.computeIfAbsent(method, m -> new EnumMap<>(Status.Code.class)).merge(code, 1, Integer::sum);
    String description = answer.status().getDescription() != null ? ": " + answer.status().getDescription() : "";
    String line = String.format("call %d (try %d): %s -> n%d (%d bytes): %s%s", drawn, tries + 1, call,
        call.node() + 1, bytes.length, code, description);
    callLog.println(line.length() > 2000 ? line.substring(0, 2000) + "..." : line);
    if (code == Status.Code.UNAVAILABLE) {
      System.out.println("ApiFuzzIT: " + line);
    }
    Lazy context = new Lazy(() -> call + " -> n" + (call.node() + 1) + " (" + bytes.length + " bytes"
        + request.map(r -> ", the node reads " + abbreviate(r)).orElse(", not a valid message") + ")\n  answered "
        + code + (answer.status().getDescription() != null ? ": " + answer.status().getDescription() : ""));
    assertThat(code).as("%s%nnever INTERNAL or UNKNOWN (docs/api.md, notes)", context)
        .isNotIn(Status.Code.INTERNAL, Status.Code.UNKNOWN);
    assertThat(code).as("%s%ndocs/api.md lists %s for %s", context, table.codes(method), method)
        .isIn(table.codes(method));
    assertThat(code).as("%s%nexpected %s: %s", context, expected.codes(), expected.why()).isIn(expected.codes());
    if (code == Status.Code.INVALID_ARGUMENT) {
      assertThat(answer.status().getDescription()).as("%s%nthe message names %s", context, expected.mentions())
          .contains(expected.mentions());
    }
    if (code == Status.Code.UNAVAILABLE) {
      assertThat(retryDelay(answer)).as("%s%nUNAVAILABLE carries a google.rpc.RetryInfo", context).isPresent();
    }
    if (code == Status.Code.OK) {
      mirror(call.node(), request.orElseThrow(), answer.response(), context);
    } else if (code == Status.Code.UNAVAILABLE && isWrite(request)) {
      readBack(request.orElseThrow(), context);
    }
    if (CHANGES_MEMBERSHIP.contains(method) && (code == Status.Code.OK || code == Status.Code.UNAVAILABLE)) {
      List<String> before = replicas.get(shardOf(request.orElseThrow()));
      syncReplicas();
      int shard = shardOf(request.orElseThrow());
      if (!replicas.get(shard).equals(before)) {
        everyNodeServesTheShard(shard, call);
      }
    }
  }

  private static Answer call(int node, String method, byte[] bytes, Auth auth) {
    Channel channel = cluster.channel(node);
    String header = auth.header(TOKEN);
    if (header != null) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, header);
      channel = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    try {
      byte[] response = ClientCalls.blockingUnaryCall(channel, raw(method),
          CallOptions.DEFAULT.withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS), bytes);
      return new Answer(Status.OK, new Metadata(), response);
    } catch (StatusRuntimeException e) {
      return new Answer(e.getStatus(), e.getTrailers() != null ? e.getTrailers() : new Metadata(), null);
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  private static MethodDescriptor<byte[], byte[]> raw(String method) {
    return RAW.computeIfAbsent(method, m -> MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(m)
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build());
  }

  /** Each method's request type, as its default instance. */
  private static Map<String, Message> requestTypes() {
    Map<String, Message> types = new HashMap<>();
    for (ServiceDescriptor s : List.of(KVGrpc.getServiceDescriptor(), AdminGrpc.getServiceDescriptor())) {
      for (MethodDescriptor<?, ?> m : s.getMethods()) {
        types.put(m.getFullMethodName(),
            (Message) ((MethodDescriptor.PrototypeMarshaller<?>) m.getRequestMarshaller()).getMessagePrototype());
      }
    }
    return types;
  }

  /** The request as the node parses it: the same generated classes and protobuf runtime. */
  private static Optional<Message> parse(String method, byte[] bytes) {
    Message type = REQUEST_TYPES.get(method);
    if (type == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(type.getParserForType().parseFrom(bytes));
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }

  private static Optional<Duration> retryDelay(Answer answer) {
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(answer.status(), answer.trailers());
    for (Any detail : details.getDetailsList()) {
      if (detail.is(RetryInfo.class)) {
        try {
          com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
          return Optional.of(Duration.ofSeconds(d.getSeconds(), d.getNanos()));
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ the oracle

  /** What the documented rules say this request gets, in the order the node applies them. */
  private static Expected expect(String method, byte[] bytes, Optional<Message> request, Auth auth) {
    if (!table.serves(method)) {
      return Expected.of("a method no service has", Status.Code.UNIMPLEMENTED);
    }
    if (NEEDS_ADMIN.contains(method) && !auth.admin()) {
      Status.Code refused = auth == Auth.WRONG_TOKEN ? Status.Code.PERMISSION_DENIED : Status.Code.UNAUTHENTICATED;
      return bytes.length > FuzzRequests.MAX_MESSAGE
          ? Expected.of("no admin credential (" + auth + "), oversized", refused, Status.Code.RESOURCE_EXHAUSTED)
          : Expected.of("no admin credential (" + auth + ")", refused);
    }
    if (bytes.length > FuzzRequests.MAX_MESSAGE) {
      return Expected.of("larger than the node's message limit " + FuzzRequests.MAX_MESSAGE,
          Status.Code.RESOURCE_EXHAUSTED);
    }
    if (request.isEmpty()) {
      return Expected.invalid("not a valid protobuf message",
          "request is not a valid " + REQUEST_TYPES.get(method).getDescriptorForType().getFullName());
    }
    Message m = request.get();
    if (m instanceof PutRequest p) {
      return firstOf(key("key", p.getKey()), value("value", p.getValue()))
          .orElse(Expected.served("a valid put"));
    }
    if (m instanceof GetRequest g) {
      return key("key", g.getKey()).orElse(Expected.served("a valid get"));
    }
    if (m instanceof DeleteRequest d) {
      return key("key", d.getKey()).orElse(Expected.served("a valid delete"));
    }
    if (m instanceof BatchRequest b) {
      return batch(b);
    }
    if (m instanceof ScanRequest s) {
      return scan(s);
    }
    if (m instanceof DeletePrefixRequest d) {
      if (d.getPrefix().isEmpty()) {
        return Expected.invalid("empty prefix", "prefix", "empty");
      }
      return d.getPrefix().size() > FuzzRequests.MAX_KEY
          ? Expected.invalid("prefix over 511 bytes", "prefix", "511") : Expected.served("a valid delete-prefix");
    }
    if (m instanceof CompareAndSetRequest c) {
      return firstOf(key("key", c.getKey()), value("value", c.getValue()), value("expected", c.getExpected()))
          .or(() -> c.getExpectAbsent() && !c.getExpected().isEmpty()
              ? Optional.of(Expected.invalid("expected with expect_absent", "expected", "expect_absent"))
              : Optional.empty())
          .orElse(Expected.served("a valid compare-and-set"));
    }
    if (m instanceof ClusterStatusRequest) {
      return Expected.of("needs nothing", Status.Code.OK);
    }
    if (m instanceof TakeSnapshotRequest t) {
      return !t.getAll() && !validShard(t.getShard())
          ? Expected.invalid("shard out of range", "shard", "[0, " + ProcessCluster.SHARDS + ")")
          : Expected.served("a valid snapshot request (UNAVAILABLE where the node holds no replica)");
    }
    if (m instanceof TransferLeaderRequest t) {
      if (t.getToNode().isEmpty()) {
        return Expected.invalid("no to_node", "to_node");
      }
      if (!validShard(t.getShard())) {
        return Expected.invalid("shard out of range", "shard", "[0, " + ProcessCluster.SHARDS + ")");
      }
      return replicas.get(t.getShard()).contains(t.getToNode()) ? Expected.served("a valid transfer")
          : Expected.invalid("to_node is not a replica " + replicas.get(t.getShard()), "not a replica");
    }
    if (m instanceof AddReplicaRequest a) {
      return membership("node_id", a.getNodeId(), a.getShard()).orElse(Expected.served("a valid add"));
    }
    if (m instanceof RemoveReplicaRequest r) {
      return membership("node_id", r.getNodeId(), r.getShard()).orElseGet(() ->
          replicas.get(r.getShard()).equals(List.of(r.getNodeId()))
              ? Expected.of("the only replica", Status.Code.FAILED_PRECONDITION)
              : Expected.served("a valid remove"));
    }
    throw new AssertionError("no rule for " + m.getClass());
  }

  @SafeVarargs
  private static Optional<Expected> firstOf(Optional<Expected>... checks) {
    return Stream.of(checks).flatMap(Optional::stream).findFirst();
  }

  private static Optional<Expected> key(String field, ByteString key) {
    if (key.isEmpty()) {
      return Optional.of(Expected.invalid(field + " empty", field, "empty"));
    }
    return key.size() > FuzzRequests.MAX_KEY
        ? Optional.of(Expected.invalid(field + " over 511 bytes", field, "511")) : Optional.empty();
  }

  private static Optional<Expected> value(String field, ByteString value) {
    return value.size() > FuzzRequests.MAX_VALUE
        ? Optional.of(Expected.invalid(field + " over max-value-bytes", field, Integer.toString(FuzzRequests.MAX_VALUE)))
        : Optional.empty();
  }

  private static Expected batch(BatchRequest b) {
    if (b.getMutationsCount() == 0) {
      return Expected.invalid("no mutations", "mutations", "at least one");
    }
    if (b.getMutationsCount() > FuzzRequests.MAX_BATCH) {
      return Expected.invalid("over max-batch-mutations", "mutations", Integer.toString(FuzzRequests.MAX_BATCH));
    }
    Set<Integer> shards = new java.util.TreeSet<>();
    for (int i = 0; i < b.getMutationsCount(); i++) {
      Mutation m = b.getMutations(i);
      String at = "mutations[" + i + "]";
      Optional<Expected> broken = switch (m.getKindCase()) {
        case PUT -> firstOf(key(at + ".put.key", m.getPut().getKey()), value(at + ".put.value", m.getPut().getValue()));
        case DELETE -> key(at + ".delete.key", m.getDelete().getKey());
        default -> Optional.of(Expected.invalid("neither put nor delete", at, "put or delete"));
      };
      if (broken.isPresent()) {
        return broken.get();
      }
      shards.add(FuzzRequests.shardOf(m.hasPut() ? m.getPut().getKey() : m.getDelete().getKey()));
    }
    return shards.size() > 1 ? Expected.of("keys in shards " + shards, Status.Code.FAILED_PRECONDITION)
        : Expected.served("a valid batch in shard " + shards);
  }

  private static Expected scan(ScanRequest s) {
    int maxBound = FuzzRequests.MAX_KEY + 1;
    if (s.getStart().size() > maxBound) {
      return Expected.invalid("start over 512 bytes", "start", "512");
    }
    if (s.getEnd().size() > maxBound) {
      return Expected.invalid("end over 512 bytes", "end", "512");
    }
    if (Integer.toUnsignedLong(s.getLimit()) > FuzzRequests.MAX_SCAN) {
      return Expected.invalid("limit over max-scan-limit", "limit", Integer.toString(FuzzRequests.MAX_SCAN));
    }
    if (!s.getEnd().isEmpty() && ORDER.compare(s.getStart(), s.getEnd()) >= 0) {
      return Expected.invalid("end not after start", "end", "start");
    }
    return Expected.served("a valid scan");
  }

  private static boolean validShard(int shard) {
    return shard >= 0 && shard < ProcessCluster.SHARDS;
  }

  /** AddReplica/RemoveReplica's checks, in the node's order: node_id given, shard, configured node. */
  private static Optional<Expected> membership(String field, String node, int shard) {
    if (node.isEmpty()) {
      return Optional.of(Expected.invalid("no " + field, field));
    }
    if (!validShard(shard)) {
      return Optional.of(Expected.invalid("shard out of range", "shard", "[0, " + ProcessCluster.SHARDS + ")"));
    }
    return FuzzRequests.NODES.contains(node) ? Optional.empty()
        : Optional.of(Expected.invalid("not a configured node", "configured peers"));
  }

  /** A valid RemoveReplica of a member, while some shard is already down a replica: not sent. */
  private static boolean removalThatLeavesTooFew(String method, Optional<Message> request, Auth auth) {
    if (!auth.admin() || request.isEmpty() || !(request.get() instanceof RemoveReplicaRequest r)
        || !validShard(r.getShard()) || !replicas.get(r.getShard()).contains(r.getNodeId())) {
      return false;
    }
    return replicas.values().stream().anyMatch(members -> members.size() < FuzzRequests.NODES.size());
  }

  private static int shardOf(Message membershipChange) {
    return membershipChange instanceof AddReplicaRequest a ? a.getShard() : ((RemoveReplicaRequest) membershipChange).getShard();
  }

  private static boolean isWrite(Optional<Message> request) {
    return request.isPresent() && (request.get() instanceof PutRequest || request.get() instanceof DeleteRequest
        || request.get() instanceof BatchRequest || request.get() instanceof DeletePrefixRequest
        || request.get() instanceof CompareAndSetRequest);
  }

  // ------------------------------------------------------------------ the model

  /** Checks an OK answer against the model and applies what it changed. */
  private static void mirror(int node, Message request, byte[] response, Lazy context) {
    try {
      if (request instanceof PutRequest p) {
        assertThat(PutResponse.parseFrom(response).getIndex()).as("%s%nindex", context).isPositive();
        apply(p, model);
      } else if (request instanceof GetRequest g) {
        GetResponse r = GetResponse.parseFrom(response);
        ByteString now = model.get(g.getKey());
        if (!g.getStale()) {
          assertThat(r.getFound()).as("%s%nfound (model: %s)", context, now).isEqualTo(now != null);
          if (now != null) {
            assertThat(r.getValue()).as("%s%nvalue", context).isEqualTo(now);
          }
        } else if (r.getFound()) {
          assertThat(history.get(g.getKey())).as("%s%na stale read returns a value the key had", context)
              .isNotNull().contains(r.getValue());
        }
      } else if (request instanceof DeleteRequest d) {
        boolean existed = (Boolean) apply(d, model);
        assertThat(DeleteResponse.parseFrom(response).getExisted()).as("%s%nexisted", context).isEqualTo(existed);
      } else if (request instanceof BatchRequest b) {
        Object existed = apply(b, model);
        assertThat(BatchResponse.parseFrom(response).getExistedList()).as("%s%nexisted", context).isEqualTo(existed);
      } else if (request instanceof ScanRequest s) {
        checkPage(s, ScanResponse.parseFrom(response), context);
      } else if (request instanceof DeletePrefixRequest d) {
        long deleted = (Long) apply(d, model);
        assertThat(DeletePrefixResponse.parseFrom(response).getDeleted()).as("%s%ndeleted", context).isEqualTo(deleted);
      } else if (request instanceof CompareAndSetRequest c) {
        boolean succeeded = (Boolean) apply(c, model);
        CompareAndSetResponse r = CompareAndSetResponse.parseFrom(response);
        assertThat(r.getSucceeded()).as("%s%nsucceeded", context).isEqualTo(succeeded);
        ByteString now = model.get(c.getKey());
        assertThat(r.getCurrentFound()).as("%s%ncurrent_found", context).isEqualTo(now != null);
        if (now != null) {
          assertThat(r.getCurrent()).as("%s%ncurrent", context).isEqualTo(now);
        }
      } else if (request instanceof ClusterStatusRequest) {
        ClusterStatusResponse r = ClusterStatusResponse.parseFrom(response);
        assertThat(r.getAnsweredBy()).as("%s%nanswered_by", context).isEqualTo(FuzzRequests.NODES.get(node));
        assertThat(r.getNodesList()).extracting(NodeStatus::getNodeId).as("%s", context).isEqualTo(FuzzRequests.NODES);
        assertThat(r.getShardsList()).extracting(ShardStatus::getShard).as("%s", context)
            .containsExactly(0, 1, 2, 3);
      } else if (request instanceof TakeSnapshotRequest t) {
        TakeSnapshotResponse r = TakeSnapshotResponse.parseFrom(response);
        if (t.getAll()) {
          // Every shard this node holds a replica of: all of them unless one was removed here.
          assertThat(r.getSnapshotsList()).extracting(ShardSnapshot::getShard).as("%s%nsnapshots", context)
              .isNotEmpty().doesNotHaveDuplicates().allMatch(shard -> shard >= 0 && shard < ProcessCluster.SHARDS);
        } else {
          assertThat(r.getSnapshotsCount()).as("%s%nsnapshots", context).isEqualTo(1);
          assertThat(r.getSnapshots(0).getShard()).as("%s", context).isEqualTo(t.getShard());
        }
      } else if (request instanceof TransferLeaderRequest t) {
        assertThat(TransferLeaderResponse.parseFrom(response).getLeader()).as("%s", context).isEqualTo(t.getToNode());
      } else if (request instanceof AddReplicaRequest a) {
        assertThat(AddReplicaResponse.parseFrom(response).getReplicasList()).as("%s", context).contains(a.getNodeId());
      } else if (request instanceof RemoveReplicaRequest r) {
        assertThat(RemoveReplicaResponse.parseFrom(response).getReplicasList()).as("%s", context)
            .isNotEmpty().doesNotContain(r.getNodeId());
      }
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(context + "\nan OK answer that is not the response message: " + e, e);
    }
  }

  /**
   * Applies a valid write to {@code m} as a node applies it, and returns what the node reports
   * about it: existed (Delete), the existed list (Batch), the count (DeletePrefix), succeeded (CAS).
   */
  private static Object apply(Message request, NavigableMap<ByteString, ByteString> m) {
    if (request instanceof PutRequest p) {
      write(m, p.getKey(), p.getValue());
      return null;
    }
    if (request instanceof DeleteRequest d) {
      return m.remove(d.getKey()) != null;
    }
    if (request instanceof BatchRequest b) {
      List<Boolean> existed = new ArrayList<>();
      for (Mutation mutation : b.getMutationsList()) {
        if (mutation.hasPut()) {
          write(m, mutation.getPut().getKey(), mutation.getPut().getValue());
          existed.add(false);
        } else {
          existed.add(m.remove(mutation.getDelete().getKey()) != null);
        }
      }
      return existed;
    }
    if (request instanceof DeletePrefixRequest d) {
      List<ByteString> doomed = m.keySet().stream().filter(k -> k.startsWith(d.getPrefix())).toList();
      doomed.forEach(m::remove);
      return (long) doomed.size();
    }
    if (request instanceof CompareAndSetRequest c) {
      ByteString now = m.get(c.getKey());
      boolean succeeds = c.getExpectAbsent() ? now == null : now != null && now.equals(c.getExpected());
      if (succeeds) {
        write(m, c.getKey(), c.getValue());
      }
      return succeeds;
    }
    throw new AssertionError("not a write: " + request.getClass());
  }

  private static void write(NavigableMap<ByteString, ByteString> m, ByteString key, ByteString value) {
    m.put(key, value);
    history.computeIfAbsent(key, k -> new HashSet<>()).add(value);
  }

  /** The keys a write may change (for DeletePrefix, the model's keys under the prefix). */
  private static Set<ByteString> touched(Message request) {
    Set<ByteString> keys = new HashSet<>();
    if (request instanceof PutRequest p) {
      keys.add(p.getKey());
    } else if (request instanceof DeleteRequest d) {
      keys.add(d.getKey());
    } else if (request instanceof CompareAndSetRequest c) {
      keys.add(c.getKey());
    } else if (request instanceof BatchRequest b) {
      b.getMutationsList().forEach(m -> keys.add(m.hasPut() ? m.getPut().getKey() : m.getDelete().getKey()));
    } else if (request instanceof DeletePrefixRequest d) {
      model.keySet().stream().filter(k -> k.startsWith(d.getPrefix())).forEach(keys::add);
    }
    return keys;
  }

  /**
   * A write answered UNAVAILABLE may or may not have applied: read its keys back (linearizably).
   * A Put, Delete, CAS or Batch must have applied entirely or not at all; a DeletePrefix (not
   * atomic across shards) must have left each key as it was or deleted it. The model takes what
   * was read.
   */
  private static void readBack(Message request, Lazy context) {
    ambiguousWrites++;
    TreeMap<ByteString, ByteString> after = new TreeMap<>(model);
    apply(request, after);
    Map<ByteString, Optional<ByteString>> read = new LinkedHashMap<>();
    for (ByteString key : touched(request)) {
      read.put(key, readKey(key));
    }
    boolean asBefore = read.entrySet().stream().allMatch(e -> e.getValue().equals(Optional.ofNullable(model.get(e.getKey()))));
    boolean asAfter = read.entrySet().stream().allMatch(e -> e.getValue().equals(Optional.ofNullable(after.get(e.getKey()))));
    if (request instanceof DeletePrefixRequest) {
      assertThat(read.entrySet()).as("%s%neach key under the prefix is either deleted or unchanged", context)
          .allMatch(e -> e.getValue().isEmpty() || e.getValue().equals(Optional.ofNullable(model.get(e.getKey()))));
    } else {
      assertThat(asBefore || asAfter).as("%s%nread back %s: neither the state before %s nor after %s", context,
          read, model.subMap(read.keySet().stream().min(ORDER).orElse(ByteString.EMPTY), true,
              read.keySet().stream().max(ORDER).orElse(ByteString.EMPTY), true), after).isTrue();
    }
    read.forEach((k, v) -> {
      if (v.isPresent()) {
        model.put(k, v.get());
      } else {
        model.remove(k);
      }
    });
  }

  private static Optional<ByteString> readKey(ByteString key) {
    GetResponse r = answered("a linearizable read through n1 of a key an UNAVAILABLE write touched",
        () -> kv(0).get(GetRequest.newBuilder().setKey(key).build()));
    return r.getFound() ? Optional.of(r.getValue()) : Optional.empty();
  }

  /**
   * The answer of {@code call}, asked again while it is UNAVAILABLE or DEADLINE_EXCEEDED (an
   * election, a replica catching up) for up to a minute; any other failure, or no answer in
   * that time, fails the run with the last status.
   */
  private static <T> T answered(String what, java.util.function.Supplier<T> call) {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (true) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        if (!ProcessCluster.retryable(e) || System.nanoTime() > deadline) {
          throw new AssertionError(what + ": no answer within " + SETTLE.toSeconds() + " s; the last attempt got "
              + e.getStatus().getCode() + ": " + e.getStatus().getDescription(), e);
        }
      }
      try {
        Thread.sleep(100); // polling: the next attempt, not a wait in place of a check
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while asking for " + what, e);
      }
    }
  }

  /**
   * After a membership change of {@code shard}: every node writes (a probe key of the shard,
   * mirrored in the model) and reads it linearizably, as a node serves every shard whether it
   * holds a replica or not.
   */
  private static void everyNodeServesTheShard(int shard, Call change) {
    ByteString key = probeKey(shard);
    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      ByteString value = ByteString.copyFromUtf8("probe via n" + (node + 1) + " after try " + (tries + 1));
      String after = " (shard " + shard + ") through n" + (node + 1) + ", after " + change + " changed the shard's"
          + " replicas to " + replicas.get(shard) + " (a node serves every shard, holding a replica or not)";
      answered("a put of " + key.toStringUtf8() + after,
          () -> kv(node).put(PutRequest.newBuilder().setKey(key).setValue(value).build()));
      write(model, key, value);
      String what = "a linearizable get of " + key.toStringUtf8() + after;
      GetResponse read = answered(what, () -> kv(node).get(GetRequest.newBuilder().setKey(key).build()));
      assertThat(read.getValue()).as(what).isEqualTo(value);
    }
  }

  private static ByteString probeKey(int shard) {
    for (int i = 0; ; i++) {
      ByteString key = ByteString.copyFromUtf8("probe/" + i);
      if (FuzzRequests.shardOf(key) == shard) {
        return key;
      }
    }
  }

  /** A linearizable page is exactly the model's range; a stale one is ordered, in range, and holds values the keys had. */
  private static void checkPage(ScanRequest s, ScanResponse page, Lazy context) {
    int limit = s.getLimit() == 0 ? FuzzRequests.FULL_PAGE : s.getLimit();
    NavigableMap<ByteString, ByteString> range = s.getEnd().isEmpty() ? model.tailMap(s.getStart(), true)
        : model.subMap(s.getStart(), true, s.getEnd(), false);
    List<KeyValue> got = page.getKvsList();
    if (!s.getStale()) {
      List<KeyValue> want = range.entrySet().stream().limit(limit)
          .map(e -> KeyValue.newBuilder().setKey(e.getKey()).setValue(e.getValue()).build()).toList();
      assertThat(got).as("%s%nthe page (%d of the model's %d pairs in range)", context, want.size(), range.size())
          .isEqualTo(want);
      ByteString next = range.size() > limit
          ? want.get(want.size() - 1).getKey().concat(ByteString.copyFrom(new byte[] {0})) : ByteString.EMPTY;
      assertThat(page.getNextStart()).as("%s%nnext_start", context).isEqualTo(next);
      return;
    }
    assertThat(got.size()).as("%s%npage size", context).isLessThanOrEqualTo(limit);
    for (int i = 0; i < got.size(); i++) {
      KeyValue kv = got.get(i);
      assertThat(ORDER.compare(kv.getKey(), s.getStart())).as("%s%nkey %d at or after start", context, i).isNotNegative();
      if (!s.getEnd().isEmpty()) {
        assertThat(ORDER.compare(kv.getKey(), s.getEnd())).as("%s%nkey %d before end", context, i).isNegative();
      }
      if (i > 0) {
        assertThat(ORDER.compare(got.get(i - 1).getKey(), kv.getKey())).as("%s%nkeys ascending", context).isNegative();
      }
      assertThat(history.get(kv.getKey())).as("%s%na stale page holds values the keys had", context)
          .isNotNull().contains(kv.getValue());
    }
  }

  // ------------------------------------------------------------------ cluster-wide checks

  private static KVGrpc.KVBlockingStub kv(int node) {
    return KVGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  private static AdminGrpc.AdminBlockingStub admin(int node) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + TOKEN);
    return AdminGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static void everyNodeServes() {
    for (int i = 0; i < cluster.size(); i++) {
      assertThat(cluster.alive(i)).as("n%d's process is running", i + 1).isTrue();
      ServingStatus status = HealthGrpc.newBlockingStub(cluster.channel(i)).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
      assertThat(status).as("n%d's health", i + 1).isEqualTo(ServingStatus.SERVING);
    }
  }

  /** Every key in byte order through {@code node}, in pages of max-scan-limit; UNAVAILABLE pages are asked again. */
  private static TreeMap<ByteString, ByteString> fullScan(int node, boolean stale) {
    TreeMap<ByteString, ByteString> seen = new TreeMap<>(ORDER);
    ByteString start = ByteString.EMPTY;
    while (true) {
      ScanRequest request = ScanRequest.newBuilder().setStart(start).setLimit(FuzzRequests.MAX_SCAN).setStale(stale).build();
      ScanResponse page = answered((stale ? "a stale" : "a linearizable") + " scan page through n" + (node + 1)
          + " from " + start, () -> kv(node).scan(request));
      page.getKvsList().forEach(kv -> seen.put(kv.getKey(), kv.getValue()));
      if (page.getNextStart().isEmpty()) {
        return seen;
      }
      start = page.getNextStart();
    }
  }

  private static void everyNodeScansTheModel() {
    for (int i = 0; i < cluster.size(); i++) {
      assertThat(fullScan(i, false)).as("a linearizable full scan through n%d after %d tries", i + 1, tries)
          .isEqualTo(model);
    }
  }

  /** Waits until every node reports the same replicas for every shard, and records them. */
  private static void syncReplicas() {
    Await.until(SETTLE, "every node to report the same replicas for every shard", () -> {
      Map<Integer, List<String>> agreed = null;
      for (int i = 0; i < cluster.size(); i++) {
        Map<Integer, List<String>> seen = new TreeMap<>();
        for (ShardStatus s : admin(i).clusterStatus(ClusterStatusRequest.getDefaultInstance()).getShardsList()) {
          seen.put(s.getShard(), s.getReplicasList().stream().sorted().toList());
        }
        if (agreed != null && !agreed.equals(seen)) {
          return false;
        }
        agreed = seen;
      }
      replicas.clear();
      replicas.putAll(agreed);
      return true;
    });
  }

  /**
   * After the run: every shard back on all three nodes, every node SERVING, every node's own
   * replicas (stale scans) and its linearizable scans equal to the model.
   */
  static void finalChecks() {
    syncReplicas();
    for (int shard = 0; shard < ProcessCluster.SHARDS; shard++) {
      for (String node : FuzzRequests.NODES) {
        if (!replicas.get(shard).contains(node)) {
          AddReplicaRequest add = AddReplicaRequest.newBuilder().setShard(shard).setNodeId(node).build();
          answered(node + " added back to shard " + shard, () -> admin(0).addReplica(add));
        }
      }
    }
    syncReplicas();
    assertThat(replicas).as("every shard's replicas at the end").allSatisfy((shard, members) ->
        assertThat(members).isEqualTo(FuzzRequests.NODES));
    everyNodeServes();
    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      Await.until(SETTLE, "n" + (node + 1) + "'s own replicas (a stale full scan) to equal the model",
          () -> fullScan(node, true).equals(model));
      for (ShardStatus s : admin(node).clusterStatus(ClusterStatusRequest.getDefaultInstance()).getShardsList()) {
        assertThat(s.getHosted()).as("n%d hosts shard %d", node + 1, s.getShard()).isTrue();
      }
    }
    everyNodeScansTheModel();
    assertThat(model).as("the run wrote something that stayed").isNotEmpty();
  }

  // ------------------------------------------------------------------ reporting

  private static String abbreviate(Message m) {
    String s = m.getClass().getSimpleName() + "{" + m.toString().replace('\n', ' ').strip() + "}";
    return s.length() > 300 ? s.substring(0, 300) + "...(" + m.getSerializedSize() + " bytes)" : s;
  }

  private static String answersSummary() {
    StringBuilder b = new StringBuilder();
    answers.forEach((method, codes) -> b.append("\n    ").append(method).append(' ').append(codes));
    return b.toString();
  }
}
