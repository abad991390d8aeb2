/**
 * Benchmarks run from the command line ({@code bin/shardkv-bench}): the load generator against
 * shardkv and etcd with the same workloads, restart time against data size, soak and rebalance
 * runs. Uses the public gRPC API and local processes, like a user.
 */
package io.shardkv.bench;
