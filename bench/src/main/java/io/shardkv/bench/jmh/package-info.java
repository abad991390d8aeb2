/**
 * JMH microbenchmarks of inner loops (the store's apply path); {@code bench/jmh.sh} runs them.
 */
package io.shardkv.bench.jmh;
