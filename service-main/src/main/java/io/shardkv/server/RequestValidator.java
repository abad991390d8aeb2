package io.shardkv.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.BatchRequest;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.DeletePrefixRequest;
import io.shardkv.api.v1.DeleteRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.Mutation;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ScanRequest;
import io.shardkv.server.ShardkvConfig.Limits;

/**
 * Rejects bad input at the edge, before anything reaches a Raft log (DESIGN invariant 9). Each
 * rejection is INVALID_ARGUMENT with a message naming the field and the limit.
 */
public final class RequestValidator {
  private final Limits limits;
  private final int maxKeyBytes;

  public RequestValidator(Limits limits, int maxKeyBytes) {
    this.limits = limits;
    this.maxKeyBytes = maxKeyBytes;
  }

  public void put(PutRequest r) {
    key("key", r.getKey());
    value("value", r.getValue());
  }

  public void get(GetRequest r) {
    key("key", r.getKey());
  }

  public void delete(DeleteRequest r) {
    key("key", r.getKey());
  }

  public void batch(BatchRequest r) {
    if (r.getMutationsCount() == 0) {
      throw invalid("mutations: a batch needs at least one mutation");
    }
    if (r.getMutationsCount() > limits.maxBatchMutations()) {
      throw invalid("mutations: a batch has " + r.getMutationsCount() + " mutations; the maximum is "
          + limits.maxBatchMutations());
    }
    for (int i = 0; i < r.getMutationsCount(); i++) {
      Mutation m = r.getMutations(i);
      switch (m.getKindCase()) {
        case PUT -> {
          key("mutations[" + i + "].put.key", m.getPut().getKey());
          value("mutations[" + i + "].put.value", m.getPut().getValue());
        }
        case DELETE -> key("mutations[" + i + "].delete.key", m.getDelete().getKey());
        default -> throw invalid("mutations[" + i + "]: set either put or delete");
      }
    }
  }

  public void scan(ScanRequest r) {
    // A paging cursor may be one byte longer than the longest key (last key + 0x00).
    if (r.getStart().size() > maxKeyBytes + 1) {
      throw invalid("start is " + r.getStart().size() + " bytes; the maximum is " + (maxKeyBytes + 1) + " bytes");
    }
    if (r.getEnd().size() > maxKeyBytes + 1) {
      throw invalid("end is " + r.getEnd().size() + " bytes; the maximum is " + (maxKeyBytes + 1) + " bytes");
    }
    if (Integer.toUnsignedLong(r.getLimit()) > limits.maxScanLimit()) {
      throw invalid("limit is " + Integer.toUnsignedString(r.getLimit()) + "; the maximum is "
          + limits.maxScanLimit() + " (0 means the maximum)");
    }
    if (!r.getEnd().isEmpty()
        && ByteString.unsignedLexicographicalComparator().compare(r.getStart(), r.getEnd()) >= 0) {
      throw invalid("end must be empty (no bound) or greater than start");
    }
  }

  public void deletePrefix(DeletePrefixRequest r) {
    if (r.getPrefix().isEmpty()) {
      throw invalid("prefix must not be empty (an empty prefix would delete every key)");
    }
    if (r.getPrefix().size() > maxKeyBytes) {
      throw invalid("prefix is " + r.getPrefix().size() + " bytes; the maximum is " + maxKeyBytes + " bytes");
    }
  }

  public void compareAndSet(CompareAndSetRequest r) {
    key("key", r.getKey());
    value("value", r.getValue());
    value("expected", r.getExpected());
    if (r.getExpectAbsent() && !r.getExpected().isEmpty()) {
      throw invalid("expected must be empty when expect_absent is set");
    }
  }

  private void key(String field, ByteString key) {
    if (key.isEmpty()) {
      throw invalid(field + " must not be empty");
    }
    if (key.size() > maxKeyBytes) {
      throw invalid(field + " is " + key.size() + " bytes; the maximum is " + maxKeyBytes
          + " bytes (LMDB's key limit)");
    }
  }

  private void value(String field, ByteString value) {
    if (value.size() > limits.maxValueBytes()) {
      throw invalid(field + " is " + value.size() + " bytes; the maximum is " + limits.maxValueBytes()
          + " bytes (shardkv.limits.max-value-bytes)");
    }
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
