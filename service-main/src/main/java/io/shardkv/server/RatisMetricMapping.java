package io.shardkv.server;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which of Ratis's own metrics shardkv exports, and under which {@code shardkv_raft_*} name.
 *
 * <p>Ratis 3.3.0 registers a metric as {@code <application>.<component>.<peer>@<group>.<name>},
 * camelCase, with the follower's id inside {@code <name>} for per-follower metrics. This table
 * keeps only what an operator tunes the write path with (log flush, sync and append, the
 * leader's append-entries round trip, follower progress, request queues). Anything not listed
 * never reaches {@code /metrics}: a Ratis upgrade that adds or renames metrics cannot add
 * families behind the documentation's back, it can only make a listed family disappear, which
 * the unit test of the bridge and {@code OperationsDocIT} notice.
 */
final class RatisMetricMapping {
  /** How a Ratis metric is exported. */
  enum Kind {
    /** A Ratis timer (nanoseconds): a summary in seconds, quantiles and {@code _count}. */
    TIMER,
    /** A gauge, exported as its current numeric value. */
    GAUGE,
    /** A monotonic counter. */
    COUNTER
  }

  /** One exported metric family. */
  record Family(String name, Kind kind, String help) {}

  /** Where one Ratis metric goes: its family and the labels its Ratis name carried. */
  record Target(Family family, Map<String, String> labels) {}

  /**
   * Matches a Ratis metric by registry (application, component) and short name. If the pattern
   * has a capturing group, it captures a peer id, exported as label {@code peer}.
   */
  private record Rule(String application, String component, Pattern name, Family family,
      Map<String, String> fixedLabels) {}

  private static final String RATIS = "ratis";
  private static final String RATIS_GRPC = "ratis_grpc";
  private static final String LOG_WORKER = "log_worker";
  private static final String SERVER = "server";
  private static final String LOG_APPENDER = "log_appender";

  static final Family LOG_FLUSH = new Family("shardkv_raft_log_flush_seconds", Kind.TIMER,
      "Raft log worker flush: write out the batch, then sync it (segmented log flushTime)");
  static final Family LOG_SYNC = new Family("shardkv_raft_log_sync_seconds", Kind.TIMER,
      "fsync of the Raft log segment inside a flush (segmented log syncTime)");
  static final Family LOG_APPEND = new Family("shardkv_raft_log_append_seconds", Kind.TIMER,
      "appending one entry to the Raft log, until it is handed to the log worker (appendEntryLatency)");
  static final Family LOG_WRITE = new Family("shardkv_raft_log_write_seconds", Kind.TIMER,
      "the log worker writing one entry to the open segment (writelogExecutionTime)");
  static final Family LOG_QUEUE_WAIT = new Family("shardkv_raft_log_queue_wait_seconds", Kind.TIMER,
      "time a log task waited in the log worker's queue (enqueuedTime)");
  static final Family LOG_QUEUE = new Family("shardkv_raft_log_queue_tasks", Kind.GAUGE,
      "tasks waiting in the Raft log worker's queue (workerQueueSize)");
  static final Family LOG_SYNC_BATCH = new Family("shardkv_raft_log_sync_batch_entries", Kind.GAUGE,
      "entries made durable by the last log flush (syncBatchSize)");
  static final Family COMMITTED = new Family("shardkv_raft_committed_entries_total", Kind.COUNTER,
      "entries this replica committed as leader, by entry type (stateMachine/config/metadataLogEntryCount)");
  static final Family WRITE = new Family("shardkv_raft_write_seconds", Kind.TIMER,
      "a write on the leader from request to reply: append, replicate, commit, apply (clientWriteRequest)");
  static final Family PENDING = new Family("shardkv_raft_pending_requests", Kind.GAUGE,
      "write requests the leader holds until they are applied (numPendingRequestInQueue)");
  static final Family FOLLOWER_APPEND = new Family("shardkv_raft_follower_append_seconds", Kind.TIMER,
      "a follower handling one append-entries request with entries (follower_append_entry_latency)");
  static final Family PEER_COMMIT = new Family("shardkv_raft_peer_commit_index", Kind.GAUGE,
      "commit index of a peer as this replica last heard it (<peer>_peerCommitIndex)");
  static final Family FOLLOWER_MATCH = new Family("shardkv_raft_follower_match_index", Kind.GAUGE,
      "on the leader: highest log index known replicated on the follower (follower_<peer>_match_index)");
  static final Family APPEND_ENTRIES = new Family("shardkv_raft_append_entries_seconds", Kind.TIMER,
      "on the leader: append-entries round trip to one follower, heartbeats excluded (<peer>_latency)");

  private static final List<Rule> RULES = List.of(
      exact(RATIS, LOG_WORKER, "flushTime", LOG_FLUSH),
      exact(RATIS, LOG_WORKER, "syncTime", LOG_SYNC),
      exact(RATIS, LOG_WORKER, "appendEntryLatency", LOG_APPEND),
      exact(RATIS, LOG_WORKER, "writelogExecutionTime", LOG_WRITE),
      exact(RATIS, LOG_WORKER, "enqueuedTime", LOG_QUEUE_WAIT),
      exact(RATIS, LOG_WORKER, "workerQueueSize", LOG_QUEUE),
      exact(RATIS, LOG_WORKER, "syncBatchSize", LOG_SYNC_BATCH),
      new Rule(RATIS, LOG_WORKER, literal("stateMachineLogEntryCount"), COMMITTED, Map.of("type", "state_machine")),
      new Rule(RATIS, LOG_WORKER, literal("configLogEntryCount"), COMMITTED, Map.of("type", "configuration")),
      new Rule(RATIS, LOG_WORKER, literal("metadataLogEntryCount"), COMMITTED, Map.of("type", "metadata")),
      exact(RATIS, SERVER, "clientWriteRequest", WRITE),
      exact(RATIS, SERVER, "numPendingRequestInQueue", PENDING),
      exact(RATIS, SERVER, "follower_append_entry_latency", FOLLOWER_APPEND),
      perPeer(RATIS, SERVER, "(.+)_peerCommitIndex", PEER_COMMIT),
      perPeer(RATIS, LOG_APPENDER, "follower_(.+)_match_index", FOLLOWER_MATCH),
      // "<peer>_latency_heartbeat" is the heartbeat twin; heartbeats carry no entries and would
      // hide the write path's latency, so only the plain name is taken.
      perPeer(RATIS_GRPC, LOG_APPENDER, "(.+)_latency", APPEND_ENTRIES));

  private RatisMetricMapping() {}

  private static Pattern literal(String name) {
    return Pattern.compile(Pattern.quote(name));
  }

  private static Rule exact(String application, String component, String name, Family family) {
    return new Rule(application, component, literal(name), family, Map.of());
  }

  private static Rule perPeer(String application, String component, String regex, Family family) {
    return new Rule(application, component, Pattern.compile(regex), family, Map.of());
  }

  /** Every family the bridge can export, for docs and tests. */
  static List<Family> families() {
    return RULES.stream().map(Rule::family).distinct().toList();
  }

  /**
   * Where the Ratis metric {@code name} of a registry of {@code application}/{@code component}
   * goes, or empty if shardkv does not export it.
   */
  static Optional<Target> target(String application, String component, String name) {
    for (Rule rule : RULES) {
      if (!rule.application().equals(application) || !rule.component().equals(component)) {
        continue;
      }
      Matcher m = rule.name().matcher(name);
      if (m.matches()) {
        return Optional.of(new Target(rule.family(),
            m.groupCount() > 0 ? Map.of("peer", m.group(1)) : rule.fixedLabels()));
      }
    }
    return Optional.empty();
  }
}
