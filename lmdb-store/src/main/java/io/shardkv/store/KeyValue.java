package io.shardkv.store;

/** A key and its value, as read from a store. */
public record KeyValue(byte[] key, byte[] value) {}
