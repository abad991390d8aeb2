package io.shardkv.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.api.v1.ScanRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A shardkv cluster reached over {@code channels} gRPC channels, spread round robin over the
 * given node addresses (every node routes every call, so any node will do).
 */
public final class ShardkvTarget implements KvTarget {
  private static final long DEADLINE_SECONDS = 10;
  private final List<ManagedChannel> channels = new ArrayList<>();

  /** Opens {@code channels} channels over {@code addresses} ("host:port"). */
  public ShardkvTarget(List<String> addresses, int channels) {
    if (addresses.isEmpty() || channels < 1) {
      throw new IllegalArgumentException("need at least one address and one channel");
    }
    for (int i = 0; i < channels; i++) {
      channels(addresses.get(i % addresses.size()));
    }
  }

  private void channels(String address) {
    // The shaded Netty transport explicitly: jetcd puts an unshaded grpc-netty on the same
    // classpath, and letting the provider lookup choose would make the transport accidental.
    this.channels.add(NettyChannelBuilder.forTarget(address).usePlaintext()
        .maxInboundMessageSize(64 << 20).build());
  }

  @Override
  public String name() {
    return "shardkv";
  }

  @Override
  public KvClient client(int index) {
    KVGrpc.KVBlockingStub stub = KVGrpc.newBlockingStub(channels.get(index % channels.size()));
    return new KvClient() {
      @Override
      public void put(byte[] key, byte[] value) {
        stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).put(PutRequest.newBuilder()
            .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value)).build());
      }

      @Override
      public boolean get(byte[] key, boolean stale) {
        return stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).get(GetRequest.newBuilder()
            .setKey(ByteString.copyFrom(key)).setStale(stale).build()).getFound();
      }

      @Override
      public int scan(byte[] start, byte[] end, int limit, boolean stale) {
        return stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).scan(ScanRequest.newBuilder()
            .setStart(ByteString.copyFrom(start)).setEnd(ByteString.copyFrom(end)).setLimit(limit)
            .setStale(stale).build()).getKvsCount();
      }
    };
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel c : channels) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
