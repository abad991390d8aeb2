package io.shardkv.raft.coldstart;

/** A cold-start decision with how long the decision and any restore took, kept for admin. */
public record ColdStartReport(int shard, ColdStartDecision decision, long durationMillis) {}
