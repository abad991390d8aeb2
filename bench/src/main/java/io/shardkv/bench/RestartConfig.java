package io.shardkv.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * Settings of the restart benchmark.
 *
 * @param sizesGb data sizes to load to, ascending (loading is cumulative)
 * @param runs restarts per size and mode
 * @param valueBytes size of each loaded value
 * @param perBatch values per shardkv Batch request (one Raft entry, all keys in one shard)
 * @param loaders concurrent loading clients
 * @param dir working directory for data and logs
 * @param heap the shardkv node's -Xmx
 * @param etcdMaxGb the largest size etcd is loaded to: etcd documents 8 GB as its maximum
 *     database size, so larger sizes are shardkv only
 */
public record RestartConfig(List<Double> sizesGb, int runs, int valueBytes, int perBatch, int loaders,
    Path dir, String heap, double etcdMaxGb) {

  public RestartConfig {
    if (sizesGb.isEmpty() || etcdMaxGb <= 0 || runs < 1 || valueBytes < 1 || perBatch < 1 || loaders < 1) {
      throw new IllegalArgumentException("need sizes, etcd max > 0, runs >= 1, value bytes >= 1, per batch >= 1, loaders >= 1");
    }
    sizesGb = sizesGb.stream().sorted().toList();
  }
}
