package io.shardkv.it;

import static io.shardkv.it.FuzzRandom.w;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import io.shardkv.api.v1.AddReplicaRequest;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.ClusterStatusRequest;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.DeleteRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.RemoveReplicaRequest;
import io.shardkv.api.v1.ScanRequest;
import io.shardkv.api.v1.TakeSnapshotRequest;
import io.shardkv.api.v1.TransferLeaderRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * What ApiFuzzIT sends, as plain data drawn from a seeded {@link FuzzRandom}: a {@link Call} is
 * a node, a credential, a request of one method ({@link Req}) and what happens to its encoding
 * on the way ({@link Body}: sent as is, replaced by random bytes, truncated, a byte flipped, a
 * field appended, padded to the node's message limit). Byte strings are recipes ({@link Bytes}),
 * made into bytes only when sent, so a call prints short (a failure reports it as its record's
 * toString) and a megabyte is never held by the generator. What a seed draws does not depend on
 * the cluster's answers: the same seed sends the same calls in the same order.
 */
final class FuzzRequests {
  private FuzzRequests() {}

  // The fuzz cluster's limits: small, so that "at and above the limit" costs little traffic.
  static final int MAX_KEY = 511;
  static final int MAX_VALUE = 1024;
  static final int MAX_BATCH = 16;
  static final int MAX_SCAN = 50;
  /** What a node accepts as one request message: 2 x max-value-bytes + 1 MiB (ShardkvNode). */
  static final int MAX_MESSAGE = 2 * MAX_VALUE + (1 << 20);
  /** A Scan with limit 0 asks for this many pairs, whatever max-scan-limit is (docs/api.md, notes). */
  static final int FULL_PAGE = 10_000;
  static final List<String> NODES = List.of("n1", "n2", "n3");

  static String clusterConfig(Path adminToken) {
    return "security.admin-token-file = \"" + adminToken + "\"\n"
        + "limits { max-value-bytes = " + MAX_VALUE + ", max-batch-mutations = " + MAX_BATCH
        + ", max-scan-limit = " + MAX_SCAN + " }\n"
        // The run adds and removes replicas by hand and follows them in its model: the placement
        // controller would put a removed replica straight back and make the model wrong.
        + "placement.check-interval = 0s\n";
  }

  /** The documented shard function: CRC32C(key) mod shards. */
  static int shardOf(ByteString key) {
    CRC32C crc = new CRC32C();
    crc.update(key.asReadOnlyByteBuffer());
    return (int) (crc.getValue() % ProcessCluster.SHARDS);
  }

  // ---------------------------------------------------------------- byte strings

  /** A recipe for a byte string. */
  sealed interface Bytes {
    ByteString get();
  }

  /** One of the {@link #HOT} keys, so that reads, deletes and compare-and-sets meet earlier writes. */
  record Hot(int index) implements Bytes {
    @Override
    public ByteString get() {
      return HOT.get(index);
    }

    @Override
    public String toString() {
      return "Hot#" + index + "(" + HOT.get(index).size() + "B)";
    }
  }

  /** {@code length} seeded random bytes, heavy in 0x00 and 0xFF (the ends of byte order). */
  record Rnd(int length, long seed) implements Bytes {
    @Override
    public ByteString get() {
      return ByteString.copyFrom(random(length, seed));
    }

    @Override
    public String toString() {
      return "Rnd(" + length + "B," + seed + ")";
    }
  }

  /** {@code base} and one 0x00 byte: the smallest key after it, as Scan's next_start is made. */
  record After(Bytes base) implements Bytes {
    @Override
    public ByteString get() {
      return base.get().concat(ByteString.copyFrom(new byte[] {0}));
    }
  }

  /** The first {@code n} bytes of {@code base}: a prefix or range bound that meets stored keys. */
  record Head(Bytes base, int n) implements Bytes {
    @Override
    public ByteString get() {
      ByteString b = base.get();
      return b.substring(0, Math.min(n, b.size()));
    }
  }

  static byte[] random(int length, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      int pick = r.nextInt(8);
      out[i] = (byte) (pick == 0 ? 0x00 : pick == 1 ? 0xFF : r.nextInt(256));
    }
    return out;
  }

  /**
   * Keys many calls share: short text, prefix families (for DeletePrefix and ranges), bytes at
   * the ends of the order, and keys at 509-511 bytes; at least eight in every shard.
   */
  static final List<ByteString> HOT = hotKeys();
  /** Indexes into {@link #HOT} by shard, for batches that stay within one shard. */
  static final List<List<Integer>> HOT_BY_SHARD = hotByShard();

  private static List<ByteString> hotKeys() {
    List<ByteString> keys = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      keys.add(utf8("k" + i));
    }
    for (int i = 0; i < 8; i++) {
      keys.add(utf8("p/" + i));
    }
    for (int i = 0; i < 4; i++) {
      keys.add(utf8("p/q/" + i));
    }
    for (int[] b : new int[][] {{0x00}, {0x00, 0x00}, {0x00, 0x01}, {0x7F}, {0x80}, {0xFF}, {0xFF, 0x00}, {0xFF, 0xFF}}) {
      byte[] k = new byte[b.length];
      for (int i = 0; i < b.length; i++) {
        k[i] = (byte) b[i];
      }
      keys.add(ByteString.copyFrom(k));
    }
    keys.add(utf8("a".repeat(509)));
    keys.add(utf8("a".repeat(510)));
    keys.add(utf8("a".repeat(511)));
    keys.add(utf8("a".repeat(510) + "b"));
    keys.add(fill(511, 0xFF));
    keys.add(fill(511, 0x00));
    keys.add(fill(510, 0x00).concat(ByteString.copyFrom(new byte[] {1})));
    int[] perShard = new int[ProcessCluster.SHARDS];
    keys.forEach(k -> perShard[shardOf(k)]++);
    for (int i = 0; Arrays.stream(perShard).min().orElseThrow() < 8; i++) {
      ByteString k = utf8("s/" + i);
      if (perShard[shardOf(k)] < 8) {
        keys.add(k);
        perShard[shardOf(k)]++;
      }
    }
    return List.copyOf(keys);
  }

  private static List<List<Integer>> hotByShard() {
    List<List<Integer>> out = new ArrayList<>();
    for (int s = 0; s < ProcessCluster.SHARDS; s++) {
      out.add(new ArrayList<>());
    }
    for (int i = 0; i < HOT.size(); i++) {
      out.get(shardOf(HOT.get(i))).add(i);
    }
    return out;
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private static ByteString fill(int n, int b) {
    byte[] out = new byte[n];
    Arrays.fill(out, (byte) b);
    return ByteString.copyFrom(out);
  }

  // ---------------------------------------------------------------- requests

  /** A request of one method; {@code current} is the model's value of a key (null if absent). */
  sealed interface Req {
    String method();

    Message build(Function<ByteString, ByteString> current);
  }

  record Put(Bytes key, Bytes value) implements Req {
    public String method() {
      return KVGrpc.getPutMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return PutRequest.newBuilder().setKey(key.get()).setValue(value.get()).build();
    }
  }

  record Get(Bytes key, boolean stale) implements Req {
    public String method() {
      return KVGrpc.getGetMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return GetRequest.newBuilder().setKey(key.get()).setStale(stale).build();
    }
  }

  record Delete(Bytes key) implements Req {
    public String method() {
      return KVGrpc.getDeleteMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return DeleteRequest.newBuilder().setKey(key.get()).build();
    }
  }

  /** One mutation of a Batch: put, delete, or neither set. */
  sealed interface Mut {
    Mutation build();
  }

  record MPut(Bytes key, Bytes value) implements Mut {
    public Mutation build() {
      return Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(key.get()).setValue(value.get())).build();
    }
  }

  record MDelete(Bytes key) implements Mut {
    public Mutation build() {
      return Mutation.newBuilder().setDelete(Mutation.Delete.newBuilder().setKey(key.get())).build();
    }
  }

  record MUnset() implements Mut {
    public Mutation build() {
      return Mutation.getDefaultInstance();
    }
  }

  record Batch(List<Mut> mutations) implements Req {
    public String method() {
      return KVGrpc.getBatchMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      BatchRequest.Builder b = BatchRequest.newBuilder();
      mutations.forEach(m -> b.addMutations(m.build()));
      return b.build();
    }
  }

  /** {@code count} puts of seeded 8-byte keys, all in {@code shard}: a batch at, above and far above the limit. */
  record ManyMutations(int count, int shard, long seed) implements Req {
    public String method() {
      return KVGrpc.getBatchMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      BatchRequest.Builder b = BatchRequest.newBuilder();
      SplittableRandom r = new SplittableRandom(seed);
      while (b.getMutationsCount() < count) {
        ByteString key = ByteString.copyFrom(random(8, r.nextLong()));
        if (shardOf(key) == shard) {
          b.addMutations(Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(key)
              .setValue(ByteString.copyFrom(random(4, r.nextLong())))));
        }
      }
      return b.build();
    }
  }

  record Scan(Bytes start, Bytes end, int limit, boolean stale) implements Req {
    public String method() {
      return KVGrpc.getScanMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return ScanRequest.newBuilder().setStart(start.get()).setEnd(end.get()).setLimit(limit).setStale(stale).build();
    }
  }

  record DeletePrefix(Bytes prefix) implements Req {
    public String method() {
      return KVGrpc.getDeletePrefixMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return DeletePrefixRequest.newBuilder().setPrefix(prefix.get()).build();
    }
  }

  /** {@code expectCurrent}: expect the key's current value (from the model), so the swap can succeed. */
  record Cas(Bytes key, Bytes expected, boolean expectAbsent, Bytes value, boolean expectCurrent) implements Req {
    public String method() {
      return KVGrpc.getCompareAndSetMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      ByteString k = key.get();
      ByteString now = expectCurrent ? current.apply(k) : null;
      return CompareAndSetRequest.newBuilder().setKey(k).setExpected(now != null ? now : expected.get())
          .setExpectAbsent(expectAbsent).setValue(value.get()).build();
    }
  }

  record ClusterStatus() implements Req {
    public String method() {
      return AdminGrpc.getClusterStatusMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return ClusterStatusRequest.getDefaultInstance();
    }
  }

  record TakeSnapshot(int shard, boolean all) implements Req {
    public String method() {
      return AdminGrpc.getTakeSnapshotMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return TakeSnapshotRequest.newBuilder().setShard(shard).setAll(all).build();
    }
  }

  record TransferLeader(int shard, String toNode) implements Req {
    public String method() {
      return AdminGrpc.getTransferLeaderMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return TransferLeaderRequest.newBuilder().setShard(shard).setToNode(toNode).build();
    }

    @Override
    public String toString() {
      return "TransferLeader[shard=" + shard + ", toNode=" + printable(toNode) + "]";
    }
  }

  record AddReplica(int shard, String nodeId) implements Req {
    public String method() {
      return AdminGrpc.getAddReplicaMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return AddReplicaRequest.newBuilder().setShard(shard).setNodeId(nodeId).build();
    }

    @Override
    public String toString() {
      return "AddReplica[shard=" + shard + ", nodeId=" + printable(nodeId) + "]";
    }
  }

  record RemoveReplica(int shard, String nodeId) implements Req {
    public String method() {
      return AdminGrpc.getRemoveReplicaMethod().getFullMethodName();
    }

    public Message build(Function<ByteString, ByteString> current) {
      return RemoveReplicaRequest.newBuilder().setShard(shard).setNodeId(nodeId).build();
    }

    @Override
    public String toString() {
      return "RemoveReplica[shard=" + shard + ", nodeId=" + printable(nodeId) + "]";
    }
  }

  /** A method name neither service has. */
  record Unknown(String method) implements Req {
    public Message build(Function<ByteString, ByteString> current) {
      return Empty.getDefaultInstance();
    }
  }

  private static String printable(String s) {
    String shown = s.length() > 24 ? s.substring(0, 24) + "...(" + s.length() + " chars)" : s;
    StringBuilder b = new StringBuilder("\"");
    shown.codePoints().forEach(c -> b.append(c >= 0x20 && c < 0x7F ? Character.toString(c) : String.format("\\u%04x", c)));
    return b.append('"').toString();
  }

  // ---------------------------------------------------------------- encodings

  /** What happens to a request's encoding before it is sent. */
  sealed interface Body {
    byte[] apply(byte[] encoded);
  }

  /** Sent as encoded. */
  record Exact() implements Body {
    public byte[] apply(byte[] encoded) {
      return encoded;
    }
  }

  /** Replaced by {@code length} random bytes. */
  record Garbage(int length, long seed) implements Body {
    public byte[] apply(byte[] encoded) {
      return random(length, seed);
    }
  }

  /** Cut after {@code at} bytes (of a non-empty encoding). */
  record Truncated(int at) implements Body {
    public byte[] apply(byte[] encoded) {
      return encoded.length == 0 ? encoded : Arrays.copyOf(encoded, at % encoded.length);
    }
  }

  /** One byte XORed with {@code xor}. */
  record Flipped(int at, int xor) implements Body {
    public byte[] apply(byte[] encoded) {
      if (encoded.length == 0) {
        return encoded;
      }
      byte[] out = encoded.clone();
      out[at % out.length] ^= (byte) xor;
      return out;
    }
  }

  /**
   * A field appended: {@code field} with {@code wireType} (0 varint, 1 fixed64, 2 length-delimited
   * of {@code length} random bytes, 3 a group, 4 an end-group without its start, 5 fixed32, 6 and
   * 7 no such wire type). A known field number with another wire type is an unknown field to
   * protobuf; a known one with its own type overrides (or, repeated, adds to) the encoded value.
   */
  record Appended(int field, int wireType, int length, long seed) implements Body {
    public byte[] apply(byte[] encoded) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      bytes.writeBytes(encoded);
      SplittableRandom r = new SplittableRandom(seed);
      writeVarint(bytes, ((long) field << 3) | wireType);
      switch (wireType) {
        case 0 -> writeVarint(bytes, r.nextInt(4) == 0 ? r.nextInt(3) : r.nextLong());
        case 1 -> bytes.writeBytes(random(8, seed));
        case 2 -> {
          writeVarint(bytes, length);
          bytes.writeBytes(random(length, seed));
        }
        case 3 -> writeVarint(bytes, ((long) field << 3) | 4);
        case 5 -> bytes.writeBytes(random(4, seed));
        default -> { } // 4, 6, 7: the tag alone
      }
      return bytes.toByteArray();
    }
  }

  /** {@code depth} nested groups appended (protobuf refuses more than 100 levels). */
  record DeepGroups(int depth) implements Body {
    public byte[] apply(byte[] encoded) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      bytes.writeBytes(encoded);
      for (int i = 0; i < depth; i++) {
        writeVarint(bytes, (100L << 3) | 3);
      }
      for (int i = 0; i < depth; i++) {
        writeVarint(bytes, (100L << 3) | 4);
      }
      return bytes.toByteArray();
    }
  }

  /** An unknown field appended so that the message is {@link #MAX_MESSAGE} + {@code delta} bytes. */
  record Padded(int delta) implements Body {
    public byte[] apply(byte[] encoded) {
      int target = MAX_MESSAGE + delta;
      int tag = CodedOutputStream.computeUInt32SizeNoTag((1000 << 3) | 2);
      for (int lengthBytes = 1; lengthBytes <= 5; lengthBytes++) {
        int padding = target - encoded.length - tag - lengthBytes;
        if (padding >= 0 && CodedOutputStream.computeUInt32SizeNoTag(padding) == lengthBytes) {
          ByteArrayOutputStream bytes = new ByteArrayOutputStream(target);
          bytes.writeBytes(encoded);
          writeVarint(bytes, (1000 << 3) | 2);
          writeVarint(bytes, padding);
          bytes.writeBytes(new byte[padding]);
          return bytes.toByteArray();
        }
      }
      return encoded; // already larger than the target
    }
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    try {
      CodedOutputStream c = CodedOutputStream.newInstance(out, 16);
      c.writeUInt64NoTag(value);
      c.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- calls

  /** How an admin credential is presented. */
  enum Auth {
    NONE(null), VALID("Bearer %s"), LOWERCASE_SCHEME("bearer %s"), WRONG_TOKEN("Bearer not-the-admin-token-%s"),
    NOT_BEARER("Basic %s");

    private final String format;

    Auth(String format) {
      this.format = format;
    }

    /** The authorization header's value, or null for none. */
    String header(String token) {
      return format == null ? null : String.format(format, token);
    }

    boolean admin() {
      return this == VALID || this == LOWERCASE_SCHEME;
    }
  }

  /** One request: to node {@code node} (0-2), with a credential, encoded and then changed by {@code body}. */
  record Call(int node, Auth auth, Req req, Body body) {}

  // ---------------------------------------------------------------- generators

  /** Calls in one try: a list of 1 to this many, sent before the cluster-wide health check. */
  static final int MAX_CALLS_PER_TRY = 20;

  /** The calls of one try. */
  static List<Call> calls(FuzzRandom r) {
    return r.list(1, MAX_CALLS_PER_TRY, () -> call(r));
  }

  static Call call(FuzzRandom r) {
    int node = r.between(0, NODES.size() - 1);
    Auth auth = r.weighted(w(6, () -> Auth.VALID), w(1, () -> Auth.LOWERCASE_SCHEME), w(2, () -> Auth.NONE),
        w(1, () -> Auth.WRONG_TOKEN), w(1, () -> Auth.NOT_BEARER));
    Req req = r.weighted(
        w(20, () -> put(r)), w(12, () -> get(r)), w(8, () -> delete(r)), w(8, () -> batch(r)),
        w(2, () -> manyMutations(r)), w(9, () -> scan(r)), w(2, () -> deletePrefix(r)), w(10, () -> cas(r)),
        w(2, ClusterStatus::new), w(2, () -> takeSnapshot(r)),
        w(2, () -> transferLeader(r)), w(3, () -> addReplica(r)), w(3, () -> removeReplica(r)),
        w(1, () -> unknown(r)));
    Body body = r.weighted(
        w(85, Exact::new),
        w(3, () -> new Garbage(r.between(0, 48), r.anyLong())),
        w(2, () -> new Truncated(r.between(0, 4096))),
        w(2, () -> new Flipped(r.between(0, 4096), r.between(1, 255))),
        w(5, () -> new Appended(
            r.weighted(w(6, () -> r.between(1, 5)), w(1, () -> r.oneOf(0, 15, 19_000, 536_870_911))),
            r.weighted(w(8, () -> r.oneOf(0, 1, 2, 3, 5)), w(1, () -> r.oneOf(4, 6, 7))),
            r.between(0, 12), r.anyLong())),
        w(1, () -> new DeepGroups(r.oneOf(50, 99, 100, 101, 150))),
        w(1, () -> new Padded(r.oneOf(-1, 0, 1, 100))));
    return new Call(node, auth, req, body);
  }

  static Bytes rnd(FuzzRandom r, int length) {
    return new Rnd(length, r.anyLong());
  }

  static Bytes hot(FuzzRandom r) {
    return new Hot(r.between(0, HOT.size() - 1));
  }

  /** Keys: mostly shared ones, then random ones, then the edges (empty, 511, 512, 513, far over). */
  static Bytes key(FuzzRandom r) {
    return r.weighted(
        w(12, () -> hot(r)),
        w(5, () -> rnd(r, r.between(1, 24))),
        w(2, () -> rnd(r, r.oneOf(0, 1, 510, 511, 512, 513))),
        w(1, () -> rnd(r, r.between(514, 3000))));
  }

  /** Values: small, empty, at and around max-value-bytes, far over it. */
  static Bytes value(FuzzRandom r) {
    return r.weighted(
        w(12, () -> rnd(r, r.between(1, 40))),
        w(2, () -> rnd(r, 0)),
        w(3, () -> rnd(r, r.oneOf(MAX_VALUE - 1, MAX_VALUE, MAX_VALUE + 1))),
        w(1, () -> rnd(r, r.between(MAX_VALUE + 2, 8 * MAX_VALUE))));
  }

  /** Scan bounds: none, shared keys, cursors after them (up to 512 bytes), their heads, random, oversized. */
  static Bytes bound(FuzzRandom r) {
    return r.weighted(
        w(6, () -> rnd(r, 0)),
        w(5, () -> hot(r)),
        w(2, () -> new After(hot(r))),
        w(2, () -> new Head(hot(r), r.between(1, 3))),
        w(2, () -> rnd(r, r.between(1, 6))),
        w(1, () -> rnd(r, r.oneOf(511, 512, 513, 600))));
  }

  static Req put(FuzzRandom r) {
    return new Put(key(r), value(r));
  }

  static Req get(FuzzRandom r) {
    return new Get(key(r), r.oneOf(false, false, true));
  }

  static Req delete(FuzzRandom r) {
    return new Delete(key(r));
  }

  static Mut mutation(FuzzRandom r, Supplier<Bytes> keys) {
    return r.weighted(
        w(6, () -> new MPut(keys.get(), value(r))),
        w(3, () -> new MDelete(keys.get())),
        w(1, MUnset::new));
  }

  /** Mostly batches of one shard's shared keys (they can apply); else any keys (most span shards). */
  static Req batch(FuzzRandom r) {
    return r.weighted(
        w(6, () -> {
          List<Integer> keys = HOT_BY_SHARD.get(r.between(0, ProcessCluster.SHARDS - 1));
          return new Batch(r.list(1, MAX_BATCH + 2, () -> mutation(r, () -> new Hot(r.oneOf(keys)))));
        }),
        w(2, () -> new Batch(r.list(0, MAX_BATCH + 2, () -> mutation(r, () -> key(r))))),
        // Valid mutations of shared keys of any shard: mostly FAILED_PRECONDITION (more than one shard).
        w(1, () -> new Batch(r.list(2, 6, () -> r.<Mut>weighted(
            w(2, () -> new MPut(hot(r), rnd(r, r.between(0, 40)))),
            w(1, () -> new MDelete(hot(r))))))));
  }

  /** At the limit (can apply), just over it, far over it, and over the message size. */
  static Req manyMutations(FuzzRandom r) {
    return new ManyMutations(r.oneOf(MAX_BATCH, MAX_BATCH + 1, 1000, 60_000),
        r.between(0, ProcessCluster.SHARDS - 1), r.anyLong());
  }

  static Req scan(FuzzRandom r) {
    Bytes start = bound(r);
    Bytes end = r.weighted(w(1, () -> rnd(r, 0)), w(1, () -> bound(r)));
    int limit = r.weighted(
        w(3, () -> 0),
        w(6, () -> r.between(1, MAX_SCAN)),
        w(2, () -> r.oneOf(MAX_SCAN - 1, MAX_SCAN, MAX_SCAN + 1)),
        w(1, () -> r.oneOf(FULL_PAGE, FULL_PAGE + 1, Integer.MAX_VALUE, Integer.MIN_VALUE, -1)));
    return new Scan(start, end, limit, r.oneOf(false, false, true));
  }

  static Req deletePrefix(FuzzRandom r) {
    return new DeletePrefix(r.weighted(
        w(6, () -> new Head(hot(r), r.between(2, 5))),
        w(2, () -> key(r)),
        w(1, () -> rnd(r, r.oneOf(0, 511, 512)))));
  }

  static Req cas(FuzzRandom r) {
    return new Cas(key(r), value(r), r.oneOf(false, false, true), value(r), r.oneOf(false, true, true));
  }

  static int shard(FuzzRandom r) {
    return r.weighted(
        w(8, () -> r.between(0, ProcessCluster.SHARDS - 1)),
        w(2, () -> r.oneOf(-1, ProcessCluster.SHARDS, 1024, Integer.MAX_VALUE, Integer.MIN_VALUE)),
        w(1, r::anyInt));
  }

  static String nodeId(FuzzRandom r) {
    return r.weighted(
        w(8, () -> r.oneOf(NODES)),
        w(3, () -> r.oneOf("", "n4", "n0", "N1", "n1 ", " n2", "n3\u0000", "n\u00f11", "\u00e9")),
        w(1, () -> r.string(16)),
        w(1, () -> "n".repeat(5000)));
  }

  static Req takeSnapshot(FuzzRandom r) {
    return new TakeSnapshot(shard(r), r.oneOf(false, false, true));
  }

  static Req transferLeader(FuzzRandom r) {
    return new TransferLeader(shard(r), nodeId(r));
  }

  static Req addReplica(FuzzRandom r) {
    return new AddReplica(shard(r), nodeId(r));
  }

  static Req removeReplica(FuzzRandom r) {
    return new RemoveReplica(shard(r), nodeId(r));
  }

  static Req unknown(FuzzRandom r) {
    return new Unknown(r.oneOf("shardkv.v1.KV/Nope", "shardkv.v1.KV/put", "shardkv.v1.Admin/DeleteCluster",
        "shardkv.v1.Nope/Put", "shardkv.v2.KV/Put"));
  }
}
