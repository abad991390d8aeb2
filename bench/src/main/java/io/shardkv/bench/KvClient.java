package io.shardkv.bench;

/**
 * Blocking key-value calls of one benchmark client. Every call throws on failure (an RPC
 * error or a timeout); the load generator counts that as an error, not as a latency sample.
 */
public interface KvClient {

  /** Writes one key; returns when the system acknowledged it. */
  void put(byte[] key, byte[] value);

  /** Reads one key; {@code stale} allows a local, possibly stale read. Returns whether it was found. */
  boolean get(byte[] key, boolean stale);

  /** Reads up to {@code limit} keys from {@code start} in key order; returns how many came back. */
  int scan(byte[] start, byte[] end, int limit, boolean stale);
}
