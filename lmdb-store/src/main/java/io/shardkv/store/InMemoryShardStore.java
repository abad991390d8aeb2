package io.shardkv.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The fake beside {@link ShardStore}: the same semantics held in memory, for tests of the
 * layers above. Not durable. Thread-safe by a single monitor, which is enough for tests.
 */
public final class InMemoryShardStore implements ShardStore {
  private final NavigableMap<byte[], byte[]> data = new TreeMap<>(ByteOrder.UNSIGNED);
  private AppliedIndex meta;
  private ReplicaDigest digest = ReplicaDigest.EMPTY;

  @Override
  public synchronized List<ApplyOutcome> applyBatch(List<LogEntryOps> entries) {
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    // Not transactional across a failure: the fake's operations cannot fail halfway.
    List<ApplyOutcome> outcomes = new ArrayList<>(entries.size());
    for (LogEntryOps entry : entries) {
      if (meta != null && entry.at().index() <= meta.index()) {
        outcomes.add(ApplyOutcome.alreadyApplied());
        continue;
      }
      List<OpResult> results = new ArrayList<>(entry.ops().size());
      for (StoreOp op : entry.ops()) {
        results.add(applyOne(op));
      }
      meta = entry.at();
      outcomes.add(ApplyOutcome.applied(results, digest));
    }
    return outcomes;
  }

  private OpResult applyOne(StoreOp op) {
    if (op instanceof StoreOp.Put put) {
      write(put.key(), put.value());
      return new OpResult.Written();
    } else if (op instanceof StoreOp.Delete delete) {
      byte[] old = data.remove(delete.key());
      if (old != null) {
        digest = digest.minus(PairHash.of(delete.key(), old));
      }
      return new OpResult.Deleted(old != null);
    } else if (op instanceof StoreOp.DeletePrefix dp) {
      long count = 0;
      var it = data.tailMap(dp.prefix(), true).entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<byte[], byte[]> e = it.next();
        if (!ByteOrder.hasPrefix(e.getKey(), dp.prefix())) {
          break;
        }
        digest = digest.minus(PairHash.of(e.getKey(), e.getValue()));
        it.remove();
        count++;
      }
      return new OpResult.PrefixDeleted(count);
    } else if (op instanceof StoreOp.CompareAndSet cas) {
      byte[] current = data.get(cas.key());
      boolean matches = cas.expected() == null ? current == null
          : current != null && Arrays.equals(current, cas.expected());
      if (matches) {
        write(cas.key(), cas.value());
        return new OpResult.CompareAndSetOutcome(true, cas.value().clone());
      }
      return new OpResult.CompareAndSetOutcome(false, current == null ? null : current.clone());
    }
    throw new IllegalArgumentException("unknown op " + op);
  }

  private void write(byte[] key, byte[] value) {
    byte[] old = data.put(key.clone(), value.clone());
    if (old != null) {
      digest = digest.minus(PairHash.of(key, old));
    }
    digest = digest.plus(PairHash.of(key, value));
  }

  @Override
  public synchronized DigestAt digest() {
    return new DigestAt(Optional.ofNullable(meta), digest);
  }

  @Override
  public synchronized Optional<byte[]> get(byte[] key) {
    return Optional.ofNullable(data.get(key)).map(byte[]::clone);
  }

  @Override
  public synchronized ScanPage scan(byte[] start, byte[] end, int limit) {
    NavigableMap<byte[], byte[]> range = end.length == 0
        ? data.tailMap(start, true) : data.subMap(start, true, end, false);
    List<KeyValue> kvs = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : range.entrySet()) {
      if (kvs.size() == limit) {
        return new ScanPage(kvs, true);
      }
      kvs.add(new KeyValue(e.getKey().clone(), e.getValue().clone()));
    }
    return new ScanPage(kvs, false);
  }

  @Override
  public synchronized Optional<AppliedIndex> appliedIndex() {
    return Optional.ofNullable(meta);
  }

  @Override
  public void close() {}
}
