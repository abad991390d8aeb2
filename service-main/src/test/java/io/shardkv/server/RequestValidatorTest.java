package io.shardkv.server;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ScanRequest;
import io.shardkv.server.ShardkvConfig.Limits;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** DESIGN invariant 9: each kind of bad input is refused with INVALID_ARGUMENT naming the limit. */
class RequestValidatorTest {
  private final RequestValidator validator = new RequestValidator(new Limits(100, 3, 50), 511);

  private static ByteString bytes(int n) {
    return ByteString.copyFrom(new byte[n]);
  }

  private static ByteString s(String v) {
    return ByteString.copyFromUtf8(v);
  }

  private static void assertInvalid(ThrowingCallable call, String messagePart) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      org.assertj.core.api.Assertions.assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      org.assertj.core.api.Assertions.assertThat(e.getStatus().getDescription()).contains(messagePart);
    });
  }

  @Test
  void invariant9_emptyKey() {
    assertInvalid(() -> validator.put(PutRequest.newBuilder().setValue(s("v")).build()), "key must not be empty");
    assertInvalid(() -> validator.get(GetRequest.getDefaultInstance()), "key must not be empty");
  }

  @Test
  void invariant9_keyLongerThanLmdbAllows() {
    assertInvalid(() -> validator.put(PutRequest.newBuilder().setKey(bytes(512)).build()), "maximum is 511 bytes");
    assertThatCode(() -> validator.put(PutRequest.newBuilder().setKey(bytes(511)).build())).doesNotThrowAnyException();
  }

  @Test
  void invariant9_valueOverTheConfiguredLimit() {
    assertInvalid(() -> validator.put(PutRequest.newBuilder().setKey(s("k")).setValue(bytes(101)).build()),
        "maximum is 100 bytes");
  }

  @Test
  void invariant9_scanLimitOverTheMaximum() {
    assertInvalid(() -> validator.scan(ScanRequest.newBuilder().setLimit(51).build()), "maximum is 50");
    assertThatCode(() -> validator.scan(ScanRequest.newBuilder().setLimit(0).build())).doesNotThrowAnyException();
  }

  @Test
  void invariant9_scanRangeAndCursorBounds() {
    assertInvalid(() -> validator.scan(ScanRequest.newBuilder().setStart(s("b")).setEnd(s("a")).build()),
        "greater than start");
    // A paging cursor (a 511-byte key + 0x00) is 512 bytes and must be accepted.
    assertThatCode(() -> validator.scan(ScanRequest.newBuilder().setStart(bytes(512)).build()))
        .doesNotThrowAnyException();
    assertInvalid(() -> validator.scan(ScanRequest.newBuilder().setStart(bytes(513)).build()), "maximum is 512");
  }

  @Test
  void invariant9_batchSizeAndShape() {
    Mutation put = Mutation.newBuilder().setPut(Mutation.Put.newBuilder().setKey(s("k")).setValue(s("v"))).build();
    assertInvalid(() -> validator.batch(BatchRequest.newBuilder().addMutations(put).addMutations(put)
        .addMutations(put).addMutations(put).build()), "maximum is 3");
    assertInvalid(() -> validator.batch(BatchRequest.getDefaultInstance()), "at least one mutation");
    assertInvalid(() -> validator.batch(BatchRequest.newBuilder().addMutations(Mutation.getDefaultInstance()).build()),
        "mutations[0]: set either put or delete");
    assertInvalid(() -> validator.batch(BatchRequest.newBuilder().addMutations(
        Mutation.newBuilder().setDelete(Mutation.Delete.newBuilder())).build()), "mutations[0].delete.key");
  }

  @Test
  void invariant9_compareAndSetContradiction() {
    assertInvalid(() -> validator.compareAndSet(CompareAndSetRequest.newBuilder().setKey(s("k"))
        .setExpectAbsent(true).setExpected(s("x")).build()), "expect_absent");
  }

  @Test
  void invariant9_emptyDeletePrefix() {
    assertInvalid(() -> validator.deletePrefix(DeletePrefixRequest.getDefaultInstance()), "prefix must not be empty");
  }
}
