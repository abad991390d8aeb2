package io.shardkv.store;

class InMemoryShardStoreTest extends ShardStoreContract {
  @Override
  ShardStore newStore() {
    return new InMemoryShardStore();
  }

  @Override
  ShardStore newFreshStore() {
    return new InMemoryShardStore();
  }
}
