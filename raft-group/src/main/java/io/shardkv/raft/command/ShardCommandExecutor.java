package io.shardkv.raft.command;

import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.CommandListResult;
import io.shardkv.api.raft.v1.CompareAndSetResult;
import io.shardkv.api.raft.v1.DeletePrefixResult;
import io.shardkv.api.raft.v1.GetResult;
import io.shardkv.api.raft.v1.KeyValuePair;
import io.shardkv.api.raft.v1.MutationListResult;
import io.shardkv.api.raft.v1.RaftCommand;
import io.shardkv.api.raft.v1.RaftCommandResult;
import io.shardkv.api.raft.v1.RaftQuery;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.api.raft.v1.ScanResult;
import io.shardkv.api.raft.v1.StoreMutation;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ApplyOutcome;
import io.shardkv.store.KeyValue;
import io.shardkv.store.OpResult;
import io.shardkv.store.ScanPage;
import io.shardkv.store.ShardStore;
import io.shardkv.store.StoreOp;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates the Raft command encoding into store operations and store results back into the
 * encoding. Shared by the state machine and by the in-memory fake so both behave alike.
 */
public final class ShardCommandExecutor {

  /** Decodes {@code command} into the store operations it carries. */
  public List<StoreOp> toOps(RaftCommand command) {
    switch (command.getCommandCase()) {
      case MUTATIONS: {
        List<StoreOp> ops = new ArrayList<>(command.getMutations().getMutationsCount());
        for (StoreMutation m : command.getMutations().getMutationsList()) {
          ops.add(m.hasValue()
              ? new StoreOp.Put(m.getKey().toByteArray(), m.getValue().toByteArray())
              : new StoreOp.Delete(m.getKey().toByteArray()));
        }
        return ops;
      }
      case DELETE_PREFIX:
        return List.of(new StoreOp.DeletePrefix(command.getDeletePrefix().getPrefix().toByteArray()));
      case COMPARE_AND_SET: {
        var cas = command.getCompareAndSet();
        return List.of(new StoreOp.CompareAndSet(cas.getKey().toByteArray(),
            cas.hasExpected() ? cas.getExpected().toByteArray() : null,
            cas.getValue().toByteArray()));
      }
      case COALESCED: {
        List<StoreOp> ops = new ArrayList<>();
        for (RaftCommand c : command.getCoalesced().getCommandsList()) {
          if (c.hasCoalesced()) {
            throw new IllegalArgumentException("nested coalesced command");
          }
          ops.addAll(toOps(c));
        }
        return ops;
      }
      default:
        throw new IllegalArgumentException("empty or unknown command: " + command.getCommandCase());
    }
  }

  /** How many store operations {@link #toOps} makes of {@code command}. */
  public static int opCount(RaftCommand command) {
    if (command.hasCoalesced()) {
      int n = 0;
      for (RaftCommand c : command.getCoalesced().getCommandsList()) {
        n += opCount(c);
      }
      return n;
    }
    return command.hasMutations() ? command.getMutations().getMutationsCount() : 1;
  }

  /** Applies {@code command} at {@code at} to {@code store} and encodes the reply. */
  public RaftCommandResult execute(ShardStore store, RaftCommand command, AppliedIndex at) {
    ApplyOutcome outcome = store.apply(toOps(command), at);
    return encodeResult(command, outcome, at.index());
  }

  /** Encodes the reply to a command from its store outcome. */
  public RaftCommandResult encodeResult(RaftCommand command, ApplyOutcome outcome, long index) {
    RaftCommandResult.Builder reply = RaftCommandResult.newBuilder().setIndex(index);
    if (!outcome.applied()) {
      return reply.build(); // replayed entry: nobody waits for its result
    }
    return encode(command, outcome.results(), reply);
  }

  private RaftCommandResult encode(RaftCommand command, List<OpResult> results,
      RaftCommandResult.Builder reply) {
    switch (command.getCommandCase()) {
      case COALESCED: {
        // Each coalesced command gets the results of its own operations, in order.
        CommandListResult.Builder b = CommandListResult.newBuilder();
        int from = 0;
        for (RaftCommand c : command.getCoalesced().getCommandsList()) {
          int to = from + opCount(c);
          b.addResults(encode(c, results.subList(from, to), RaftCommandResult.newBuilder().setIndex(reply.getIndex())));
          from = to;
        }
        return reply.setCoalesced(b).build();
      }
      case MUTATIONS: {
        MutationListResult.Builder b = MutationListResult.newBuilder();
        for (OpResult r : results) {
          b.addExisted(r instanceof OpResult.Deleted d && d.existed());
        }
        return reply.setMutations(b).build();
      }
      case DELETE_PREFIX:
        return reply.setDeletePrefix(DeletePrefixResult.newBuilder()
            .setDeleted(((OpResult.PrefixDeleted) results.get(0)).count())).build();
      case COMPARE_AND_SET: {
        var cas = (OpResult.CompareAndSetOutcome) results.get(0);
        CompareAndSetResult.Builder b = CompareAndSetResult.newBuilder().setSucceeded(cas.succeeded());
        if (cas.current() != null) {
          b.setCurrent(ByteString.copyFrom(cas.current()));
        }
        return reply.setCompareAndSet(b).build();
      }
      default:
        throw new IllegalArgumentException("unknown command " + command.getCommandCase());
    }
  }

  /** Runs a read against {@code store}. */
  public RaftQueryResult query(ShardStore store, RaftQuery query) {
    switch (query.getQueryCase()) {
      case GET: {
        GetResult.Builder b = GetResult.newBuilder();
        store.get(query.getGet().getKey().toByteArray()).ifPresent(v -> b.setValue(ByteString.copyFrom(v)));
        return RaftQueryResult.newBuilder().setGet(b).build();
      }
      case SCAN: {
        var q = query.getScan();
        ScanPage page = store.scan(q.getStart().toByteArray(), q.getEnd().toByteArray(), q.getLimit());
        ScanResult.Builder b = ScanResult.newBuilder().setMore(page.more());
        for (KeyValue kv : page.kvs()) {
          b.addKvs(KeyValuePair.newBuilder()
              .setKey(ByteString.copyFrom(kv.key())).setValue(ByteString.copyFrom(kv.value())));
        }
        return RaftQueryResult.newBuilder().setScan(b).build();
      }
      default:
        throw new IllegalArgumentException("empty or unknown query: " + query.getQueryCase());
    }
  }
}
