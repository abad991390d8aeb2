package io.shardkv.it;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardkv.api.v1.CompareAndSetRequest;
import io.shardkv.api.v1.CompareAndSetResponse;
import io.shardkv.api.v1.DeleteRequest;
import io.shardkv.api.v1.GetRequest;
import io.shardkv.api.v1.GetResponse;
import io.shardkv.api.v1.KVGrpc;
import io.shardkv.api.v1.PutRequest;
import io.shardkv.it.RegisterOp.Command;
import io.shardkv.it.RegisterOp.Outcome;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One client of {@link LinearizabilityIT}: a thread with its own channel to every node that
 * talks to one node at a time (a new random one after any error, and now and then anyway, so
 * a restarted node gets traffic again) and does random reads, unique-value puts, CAS and
 * deletes on a small key set, recording each call in a {@link HistoryLog}.
 */
final class RegisterClient extends Thread {
  static final long DEADLINE_MS = 5_000;
  // Failures after which a write may or may not have been applied.
  private static final Set<Status.Code> INDETERMINATE =
      Set.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.UNKNOWN);

  private final int id;
  private final List<String> keys;
  private final HistoryLog log;
  private final Random random;
  private final ManagedChannel[] channels;
  private final AtomicLongArray completedVia; // per node, shared by all clients
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Map<String, String> lastSeen = new HashMap<>(); // CAS expectations that may still hold
  private volatile int steerTo = -1;
  private int node;
  private int seq;

  RegisterClient(int id, ProcessCluster cluster, List<String> keys, HistoryLog log, long seed,
      AtomicLongArray completedVia) {
    super("register-client-" + id);
    this.id = id;
    this.keys = keys;
    this.log = log;
    this.random = new Random(seed);
    this.completedVia = completedVia;
    channels = new ManagedChannel[cluster.size()];
    for (int i = 0; i < channels.length; i++) {
      channels[i] = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(i)).usePlaintext().build();
    }
    node = random.nextInt(channels.length);
    setDaemon(true);
  }

  @Override
  public void run() {
    try {
      while (!stop.get()) {
        int steer = steerTo;
        if (steer >= 0) {
          node = steer;
          steerTo = -1;
        } else if (random.nextInt(40) == 0) {
          node = random.nextInt(channels.length);
        }
        step(keys.get(random.nextInt(keys.size())));
      }
    } finally {
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
    }
  }

  /** Makes the next call go to {@code node} (so that a crash of it hits calls in flight). */
  void steerTo(int node) {
    steerTo = node;
  }

  /** Asks the thread to stop after its current call. */
  void requestStop() {
    stop.set(true);
  }

  /** Stops the thread and waits for it (and its channels) to end. */
  void finish() throws InterruptedException {
    stop.set(true);
    join(DEADLINE_MS * 3);
    if (isAlive()) {
      throw new AssertionError(getName() + " did not stop");
    }
    for (ManagedChannel c : channels) {
      if (!c.awaitTermination(10, TimeUnit.SECONDS)) {
        throw new AssertionError(getName() + ": channel did not terminate");
      }
    }
  }

  private void step(String key) {
    int dice = random.nextInt(100);
    if (dice < 10) {
      staleRead(key);
      return;
    }
    Command command;
    if (dice < 45) {
      command = new Command.Read();
    } else if (dice < 70) {
      command = new Command.Write(uniqueValue());
    } else if (dice < 92) {
      // Expecting the value last seen makes CAS succeed now and then despite the races.
      String expected = random.nextInt(5) == 0 ? null : lastSeen.get(key);
      command = new Command.Cas(expected, uniqueValue());
    } else {
      command = new Command.Delete();
    }
    SendProbe probe = new SendProbe();
    KVGrpc.KVBlockingStub stub = KVGrpc.newBlockingStub(channels[node]).withInterceptors(probe)
        .withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS);
    int opId = log.nextId();
    long invoked = System.nanoTime();
    try {
      Outcome outcome = call(stub, key, command);
      long completed = System.nanoTime();
      log.add(new RegisterOp(opId, id, key, command, outcome, invoked, completed));
      completedVia.incrementAndGet(node);
      log.count("ok");
      remember(key, command, outcome);
    } catch (StatusRuntimeException e) {
      failed(key, command, e, probe.sent(), opId, invoked);
      node = (node + 1 + random.nextInt(channels.length - 1)) % channels.length;
    }
  }

  private Outcome call(KVGrpc.KVBlockingStub stub, String key, Command command) {
    ByteString k = ByteString.copyFromUtf8(key);
    if (command instanceof Command.Read) {
      GetResponse r = stub.get(GetRequest.newBuilder().setKey(k).build());
      return new Outcome.ReadValue(r.getFound() ? r.getValue().toStringUtf8() : null);
    }
    if (command instanceof Command.Write w) {
      log.attemptedWrite(key, w.value());
      stub.put(PutRequest.newBuilder().setKey(k).setValue(ByteString.copyFromUtf8(w.value())).build());
      return new Outcome.Written();
    }
    if (command instanceof Command.Cas cas) {
      log.attemptedWrite(key, cas.value());
      CompareAndSetRequest.Builder b = CompareAndSetRequest.newBuilder().setKey(k)
          .setValue(ByteString.copyFromUtf8(cas.value()));
      if (cas.expected() == null) {
        b.setExpectAbsent(true);
      } else {
        b.setExpected(ByteString.copyFromUtf8(cas.expected()));
      }
      CompareAndSetResponse r = stub.compareAndSet(b.build());
      return new Outcome.CasResult(r.getSucceeded(), r.getCurrentFound() ? r.getCurrent().toStringUtf8() : null);
    }
    return new Outcome.Deleted(stub.delete(DeleteRequest.newBuilder().setKey(k).build()).getExisted());
  }

  private void failed(String key, Command command, StatusRuntimeException e, boolean sent, int opId, long invoked) {
    Status.Code code = e.getStatus().getCode();
    if (!INDETERMINATE.contains(code)) {
      // Not expected from a healthy cluster under a crash: the test fails on these. Still
      // recorded as indeterminate below, so the history stays sound.
      log.count("unexpected " + code + ": " + e.getStatus().getDescription());
    }
    if (command instanceof Command.Read) {
      log.count("failed read (dropped)"); // a read that returned nothing constrains nothing
    } else if (!sent) {
      log.count("write never sent (did not happen)");
    } else {
      // Sent, then no answer: it may have been applied, possibly much later (the node's Raft
      // client keeps retrying after our deadline). The checker treats it as never responding.
      log.add(new RegisterOp(opId, id, key, command, new Outcome.Unknown(), invoked, RegisterOp.NEVER));
      log.count("write indeterminate (" + code + ")");
      lastSeen.remove(key);
    }
  }

  /**
   * Stale reads may legitimately return old values, so they are not part of the checked
   * history (the checker would rightly reject them); they are only checked for never
   * returning a value nobody wrote.
   */
  private void staleRead(String key) {
    try {
      GetResponse r = KVGrpc.newBlockingStub(channels[node]).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
          .get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setStale(true).build());
      log.addStaleRead(new HistoryLog.StaleRead(key, r.getFound() ? r.getValue().toStringUtf8() : null));
      log.count("stale read");
    } catch (StatusRuntimeException e) {
      log.count("failed stale read");
      node = (node + 1 + random.nextInt(channels.length - 1)) % channels.length;
    }
  }

  private void remember(String key, Command command, Outcome outcome) {
    if (outcome instanceof Outcome.ReadValue r) {
      lastSeen.put(key, r.value());
    } else if (outcome instanceof Outcome.CasResult c) {
      lastSeen.put(key, c.current());
    } else if (command instanceof Command.Write w) {
      lastSeen.put(key, w.value());
    } else if (command instanceof Command.Delete) {
      lastSeen.remove(key);
    }
  }

  private String uniqueValue() {
    return "c" + id + "-" + seq++;
  }
}
