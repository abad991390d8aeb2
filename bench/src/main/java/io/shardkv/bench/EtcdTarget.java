package io.shardkv.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.options.GetOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An etcd cluster through its gRPC API (jetcd): {@code channels} clients, each knowing every
 * endpoint. Linearizable reads are etcd's default; stale reads are its serializable reads.
 */
public final class EtcdTarget implements KvTarget {
  private static final long DEADLINE_SECONDS = 10;
  private final List<Client> clients = new ArrayList<>();

  /** Opens {@code channels} clients over {@code endpoints} ("http://host:port"). */
  public EtcdTarget(List<String> endpoints, int channels) {
    if (endpoints.isEmpty() || channels < 1) {
      throw new IllegalArgumentException("need at least one endpoint and one channel");
    }
    for (int i = 0; i < channels; i++) {
      // Rotate the endpoint list so the channels spread over the members.
      List<String> rotated = new ArrayList<>(endpoints);
      java.util.Collections.rotate(rotated, -i);
      // jetcd pings every 30 s also on idle connections, but etcd (grpc-go, PermitWithoutStream
      // false) permits pings only while a call is open: between workloads, while shardkv runs,
      // the etcd clients were cut with GOAWAY too_many_pings (bench/results/vs-etcd.log.txt).
      clients.add(Client.builder().endpoints(rotated.toArray(String[]::new))
          .keepaliveWithoutCalls(false)
          .maxInboundMessageSize(64 << 20).build());
    }
  }

  @Override
  public String name() {
    return "etcd";
  }

  @Override
  public KvClient client(int index) {
    KV kv = clients.get(index % clients.size()).getKVClient();
    return new KvClient() {
      @Override
      public void put(byte[] key, byte[] value) {
        await(kv.put(ByteSequence.from(key), ByteSequence.from(value)));
      }

      @Override
      public boolean get(byte[] key, boolean stale) {
        GetOption option = GetOption.builder().withSerializable(stale).build();
        return await(kv.get(ByteSequence.from(key), option)).getCount() > 0;
      }

      @Override
      public int scan(byte[] start, byte[] end, int limit, boolean stale) {
        GetOption option = GetOption.builder().withSerializable(stale).withLimit(limit)
            .withRange(ByteSequence.from(end)).build();
        return await(kv.get(ByteSequence.from(start), option)).getKvs().size();
      }
    };
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
    try {
      return future.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new IllegalStateException("etcd call timed out after " + DEADLINE_SECONDS + " s", e);
    }
  }

  @Override
  public void close() {
    clients.forEach(Client::close);
  }
}
