/**
 * The names of every shardkv metric ({@code shardkv_<area>_<what>_<unit>}, labels encoded
 * in the registered name), in one place so the code, the exporter, the docs and the tests agree.
 * Depends on nothing else of shardkv.
 */
package io.shardkv.raft.metrics;
