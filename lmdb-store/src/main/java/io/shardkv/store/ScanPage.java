package io.shardkv.store;

import java.util.List;

/**
 * Up to {@code limit} pairs of a range scan in byte order; {@code more} is true when the range
 * holds further keys after the last one returned.
 */
public record ScanPage(List<KeyValue> kvs, boolean more) {}
