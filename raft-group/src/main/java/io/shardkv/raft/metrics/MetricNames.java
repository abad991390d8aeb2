package io.shardkv.raft.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names of shardkv's metrics, in one place so docs, exporters and tests agree. Dropwizard has no
 * labels, so a labelled metric is registered under {@code base{key=value,...}}; the Prometheus
 * exporter turns that back into a metric family {@code base} with those labels. Names follow
 * {@code shardkv_<area>_<what>_<unit>}. Ratis's own metrics, which live in Ratis's registries
 * and not in ours, are renamed to {@code shardkv_raft_*} by service-main's
 * {@code RatisMetricMapping}; their names are listed there.
 */
public final class MetricNames {
  private MetricNames() {}

  /** A parsed metric name: the Prometheus family name and its labels in order. */
  public record Labelled(String base, Map<String, String> labels) {}

  /** {@code base{k1=v1,k2=v2}} from alternating label names and values. */
  public static String labelled(String base, String... labelPairs) {
    if (labelPairs.length % 2 != 0) {
      throw new IllegalArgumentException("labels come in name/value pairs: " + String.join(",", labelPairs));
    }
    StringBuilder b = new StringBuilder(base).append('{');
    for (int i = 0; i < labelPairs.length; i += 2) {
      String value = labelPairs[i + 1];
      if (value.indexOf(',') >= 0 || value.indexOf('}') >= 0 || value.indexOf('=') >= 0) {
        throw new IllegalArgumentException("label value must not contain , = or }: " + value);
      }
      b.append(i == 0 ? "" : ",").append(labelPairs[i]).append('=').append(value);
    }
    return b.append('}').toString();
  }

  /** Splits a registered name into base and labels (no labels if it has no braces). */
  public static Labelled parse(String name) {
    int open = name.indexOf('{');
    if (open < 0 || !name.endsWith("}")) {
      return new Labelled(name, Map.of());
    }
    Map<String, String> labels = new LinkedHashMap<>();
    String inner = name.substring(open + 1, name.length() - 1);
    if (!inner.isEmpty()) {
      for (String pair : inner.split(",")) {
        int eq = pair.indexOf('=');
        labels.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
    }
    return new Labelled(name.substring(0, open), labels);
  }

  private static String shard(String base, int shard) {
    return labelled(base, "shard", Integer.toString(shard));
  }

  /**
   * Timer of store write transactions on one shard's replica: one group commit of one or more
   * Raft entries (see {@link #applyBatchEntries}).
   */
  public static String applySeconds(int shard) {
    return shard("shardkv_apply_seconds", shard);
  }

  /** Histogram of store operations per applied entry (a Batch request's size, 1 for a Put). */
  public static String applyBatchOps(int shard) {
    return shard("shardkv_apply_batch_ops", shard);
  }

  /** Histogram of Raft entries committed in one store write transaction (group commit). */
  public static String applyBatchEntries(int shard) {
    return shard("shardkv_apply_batch_entries", shard);
  }

  /**
   * Timer of one stage of the write path on one shard: {@code propose} (this node hands a
   * command to Raft until the reply; everything below included), {@code replicate} (on the
   * leader: request received until the entry is committed and handed to the state machine),
   * {@code apply_queue} (committed entry waiting for its group-commit transaction). The
   * transaction itself is {@link #applySeconds}.
   */
  public static String writeStageSeconds(String stage, int shard) {
    return labelled("shardkv_write_stage_seconds", "stage", stage, "shard", Integer.toString(shard));
  }

  /** Histogram of client commands this node coalesced into one proposed Raft entry. */
  public static String proposalCommands(int shard) {
    return shard("shardkv_proposal_commands", shard);
  }

  /** Count of applies that failed and stopped the replica (invariant 8). */
  public static String applyFailures(int shard) {
    return shard("shardkv_apply_failures_total", shard);
  }

  /** Gauge: last Raft index this replica applied (in memory; -1 none). */
  public static String appliedIndex(int shard) {
    return shard("shardkv_raft_applied_index", shard);
  }

  /** Gauge: applied index recorded in the store's meta record (-1 unknown). */
  public static String durableAppliedIndex(int shard) {
    return shard("shardkv_store_durable_applied_index", shard);
  }

  /** Gauge: index of the newest complete snapshot artifact on this node (-1 none). */
  public static String snapshotIndex(int shard) {
    return shard("shardkv_snapshot_index", shard);
  }

  /** Gauge: size of the newest snapshot artifact's data file (-1 none). */
  public static String snapshotSizeBytes(int shard) {
    return shard("shardkv_snapshot_size_bytes", shard);
  }

  /** Timer of snapshot artifacts produced (copy, pin, save). */
  public static String snapshotSeconds(int shard) {
    return shard("shardkv_snapshot_seconds", shard);
  }

  /** Timer of snapshot installs from a leader (fetch excluded: store swap and pin). */
  public static String snapshotInstallSeconds(int shard) {
    return shard("shardkv_snapshot_install_seconds", shard);
  }

  /** Gauge: shard replicas this node holds. */
  public static String nodeReplicas() {
    return "shardkv_node_replicas";
  }

  /** Gauge: the version of the cluster map this node has cached (0 before it has one). */
  public static String clusterMapVersion() {
    return "shardkv_cluster_map_version";
  }

  /** Gauge: shards this node leads. */
  public static String nodeLeaders() {
    return "shardkv_node_leaders";
  }

  /** Gauge: the LMDB map size of the shard's store (grows on demand). */
  public static String storeMapSizeBytes(int shard) {
    return shard("shardkv_store_map_size_bytes", shard);
  }

  /** Gauge: bytes of the LMDB map in use (up to the last page written). */
  public static String storeUsedBytes(int shard) {
    return shard("shardkv_store_used_bytes", shard);
  }

  /** Counter of cold-start decisions by outcome and reason. */
  public static String coldStartTotal(String outcome, String reason) {
    return labelled("shardkv_coldstart_total", "outcome", outcome, "reason", reason);
  }

  /** Timer of cold-start decisions including any restore. */
  public static String coldStartSeconds() {
    return "shardkv_coldstart_seconds";
  }

  /**
   * Gauge, 1 for the phase the shard's replica on this node is in and 0 for the others
   * (the readiness phases: opening, replaying, catching_up, serving, failed).
   */
  public static String shardPhase(int shard, String phase) {
    return labelled("shardkv_shard_phase", "shard", Integer.toString(shard), "phase", phase);
  }

  /** Gauge: entries of the local log the replica still has to apply while replaying (else 0). */
  public static String shardReplayEntriesLeft(int shard) {
    return shard("shardkv_shard_replay_entries_left", shard);
  }

  /** Gauge: the group's commit index minus this replica's applied index; -1 while no leader is known. */
  public static String shardCatchUpLagEntries(int shard) {
    return shard("shardkv_shard_catch_up_lag_entries", shard);
  }

  /** Counter of snapshots taken because the shard's retained log exceeded the replay budget. */
  public static String replayBudgetSnapshots(int shard) {
    return shard("shardkv_snapshot_replay_budget_total", shard);
  }

  /** Gauge: estimated time a restart would spend loading this node's retained Raft log. */
  public static String replayEstimateSeconds() {
    return "shardkv_replay_estimate_seconds";
  }

  /**
   * Gauge: bytes of every group's Raft log segments on this node's disk (the cluster map's
   * included): what a restart loads before the node serves, and what the replay budget bounds.
   */
  public static String raftLogLoadBytes() {
    return "shardkv_raft_log_load_bytes";
  }

  /** Gauge: bytes of the shard's Raft log segments on this node's disk (-1 unknown). */
  public static String raftLogBytes(int shard) {
    return shard("shardkv_raft_log_retained_bytes", shard);
  }

  /** Snapshot bytes this node received from others (a new replica's catch-up: the bytes a move sends). */
  public static String snapshotReceivedBytes() {
    return "shardkv_snapshot_received_bytes_total";
  }

  /**
   * Counter of replica moves by the placement controller, on the meta leader, by result
   * ({@code started|finished|failed|rolled_back}).
   */
  public static String replicaMoves(String result) {
    return labelled("shardkv_replica_moves_total", "result", result);
  }

  /**
   * Counter of replicas found wedged at their group's first entry and rebuilt from the group,
   * by result ({@code rebuilt|failed}); see {@code WedgedReplicaWatch}.
   */
  public static String wedgedReplicaRebuilds(String result) {
    return labelled("shardkv_replica_wedge_rebuilds_total", "result", result);
  }

  /** Counter of Admin VerifyShard checks by result ({@code match|mismatch|incomplete}). */
  public static String verifyChecks(String result) {
    return labelled("shardkv_verify_checks_total", "result", result);
  }

  /** Counter of scrub passes over one shard's replica by result ({@code match|mismatch|gave_way}). */
  public static String scrubPasses(int shard, String result) {
    return labelled("shardkv_scrub_passes_total", "shard", Integer.toString(shard), "result", result);
  }

  /** Counter of key and value bytes the scrubber has hashed. */
  public static String scrubBytes() {
    return "shardkv_scrub_bytes_total";
  }
}
