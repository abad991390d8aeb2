package io.shardkv.raft.ratis;

import java.nio.ByteBuffer;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * Ratis carries payloads in its own shaded protobuf {@code ByteString}; shardkv's messages use
 * the unshaded protobuf. These conversions are the single crossing point between the two.
 */
public final class RatisBytes {
  private RatisBytes() {}

  public static Message toMessage(com.google.protobuf.MessageLite proto) {
    // The array is fresh and never mutated, so wrapping it without a copy is safe.
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(proto.toByteArray()));
  }

  static ByteString toRatis(com.google.protobuf.MessageLite proto) {
    return UnsafeByteOperations.unsafeWrap(proto.toByteArray());
  }

  public static ByteBuffer view(ByteString bytes) {
    return bytes.asReadOnlyByteBuffer();
  }
}
