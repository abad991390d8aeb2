package io.shardkv.bench;

/**
 * A key-value system the load generator drives: shardkv or etcd. The workload code only sees
 * this interface, so both systems run exactly the same operations.
 */
public interface KvTarget extends AutoCloseable {

  /** Short name for tables and JSON, e.g. "shardkv" or "etcd". */
  String name();

  /**
   * The connection client {@code index} uses. Clients share connections round robin, so N
   * clients over M channels is {@code client(i)} for i in 0..N-1.
   */
  KvClient client(int index);

  @Override
  void close();
}
