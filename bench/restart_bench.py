#!/usr/bin/python3
"""Restart time of a shardkv node against its data size: skip vs forced restore.

Starts ONE node (a 1-peer cluster, 4 shards) with bin/shardkv serve, loads --size-mb of data
through the public API (Batch, one shard per batch), lets every shard take a snapshot, writes a
tail after it, then restarts the node several ways and times process start -> first successful
linearizable Get:
  skip     kill -9, restart: the cold-start gate skips (store meta >= snapshot)
  sigterm  graceful stop, restart: skip as well
  restore  kill -9, delete the LMDB stores, restart: the gate restores every shard from its snapshot
Prints one CSV line per run and the gate's own per-shard durations from the node log.

Needs python3-grpcio, protoc and grpc_python_plugin (Debian packages; .ci/run installs them).
Usage: bench/restart_bench.py --size-mb 1024 [--runs 3] [--dir /tmp/shardkv-bench]
"""
import argparse, os, re, shutil, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def crc32c(data, _table=[]):
    if not _table:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = _table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def stubs(workdir):
    out = os.path.join(workdir, "stubs")
    os.makedirs(out, exist_ok=True)
    proto = os.path.join(ROOT, "api-proto/src/main/proto")
    subprocess.check_call(["protoc", "--python_out=" + out, "--grpc_out=" + out,
                           "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", "-I", proto,
                           os.path.join(proto, "shardkv/v1/kv.proto")])
    sys.path.insert(0, out)


def write_config(workdir, ports):
    path = os.path.join(workdir, "node.conf")
    with open(path, "w") as f:
        f.write("""shardkv {
  cluster-id = "bench"
  node-id = "n1"
  shards = 4
  data-dir = "%s"
  peers = [ { id = "n1", host = "127.0.0.1", raft-port = %d } ]
  client { host = "127.0.0.1", port = %d }
  metrics { host = "127.0.0.1", port = %d }
  store { initial-map-size = 64GiB }
  raft { snapshot-auto-trigger-entries = %d }
}
""" % (os.path.join(workdir, "data"), ports[0], ports[1], ports[2], ports[3]))
    return path


def start(config, log):
    env = dict(os.environ, SHARDKV_HEAP=os.environ.get("SHARDKV_HEAP", "1g"))
    t0 = time.monotonic()
    p = subprocess.Popen([os.path.join(ROOT, "bin/shardkv"), "serve", "--config", config],
                         stdout=open(log, "a"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return p, t0


def first_read(kv_pb2, stub_cls, grpc, port, key, t0, timeout=120):
    # gRPC's default reconnect backoff (1 s, growing) would be measured instead of the node.
    channel = grpc.insecure_channel("127.0.0.1:%d" % port, options=[
        ("grpc.initial_reconnect_backoff_ms", 20), ("grpc.min_reconnect_backoff_ms", 20),
        ("grpc.max_reconnect_backoff_ms", 50)])
    stub = stub_cls(channel)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = stub.Get(kv_pb2.GetRequest(key=key), timeout=2)
            if r.found:
                return time.monotonic() - t0, channel
        except grpc.RpcError:
            pass
        time.sleep(0.005)
    raise SystemExit("no successful read within %ds" % timeout)


def gate_done_at(text, wall0):
    """Seconds from spawn to the last cold-start log line (the log's own wall-clock stamps)."""
    import datetime
    stamps = re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) INFO ShardStateMachine - cold start", text, re.M)
    if not stamps:
        return -1.0
    last = datetime.datetime.strptime(stamps[-1], "%Y-%m-%d %H:%M:%S.%f").timestamp()
    return last - wall0


def stop(p, sig):
    os.killpg(p.pid, sig)
    p.wait(timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=64)
    ap.add_argument("--value-bytes", type=int, default=4096)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    workdir = args.dir or tempfile.mkdtemp(prefix="shardkv-bench-")
    shutil.rmtree(os.path.join(workdir, "data"), ignore_errors=True)
    os.makedirs(workdir, exist_ok=True)
    stubs(workdir)
    import grpc
    from shardkv.v1 import kv_pb2, kv_pb2_grpc

    per_batch = max(1, (256 << 10) // args.value_bytes)         # ~256 KiB per Raft entry
    batches = max(4, args.size_mb * (1 << 20) // (per_batch * args.value_bytes))
    trigger = max(2, int(batches / 4 * 0.8))                   # one snapshot per shard near the end
    import socket
    ports = []
    for _ in range(4):
        s = socket.socket(); s.bind(("127.0.0.1", 0)); ports.append(s.getsockname()[1]); s.close()
    ports[3] = trigger
    config = write_config(workdir, ports)
    log = os.path.join(workdir, "node.log")
    p, t0 = start(config, log)
    probe = b"probe-key"
    channel = grpc.insecure_channel("127.0.0.1:%d" % ports[1])
    kv = kv_pb2_grpc.KVStub(channel)
    deadline = time.monotonic() + 120
    while True:
        try:
            kv.Put(kv_pb2.PutRequest(key=probe, value=b"x"), timeout=5)
            break
        except grpc.RpcError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)

    value = os.urandom(args.value_bytes)
    by_shard = {0: [], 1: [], 2: [], 3: []}
    i = 0
    load_start = time.monotonic()
    sent = 0
    while sent < batches:
        key = b"bench/%010d" % i
        i += 1
        s = crc32c(key) % 4
        by_shard[s].append(key)
        if len(by_shard[s]) == per_batch:
            muts = [kv_pb2.Mutation(put=kv_pb2.Mutation.Put(key=k, value=value)) for k in by_shard[s]]
            kv.Batch(kv_pb2.BatchRequest(mutations=muts), timeout=60)
            by_shard[s] = []
            sent += 1
    load_s = time.monotonic() - load_start
    mb = sent * per_batch * args.value_bytes / (1 << 20)
    print("# loaded %.0f MiB (%d entries of %d x %d B) in %.1f s: %.1f MiB/s" %
          (mb, sent, per_batch, args.value_bytes, load_s, mb / load_s), flush=True)
    # Wait for a snapshot artifact of every shard, then write a tail after it.
    raft = os.path.join(workdir, "data/raft")
    deadline = time.monotonic() + 600
    while sum(1 for g in os.listdir(raft) for f in os.listdir(os.path.join(raft, g, "sm"))
              if f.startswith("snapshot.")) < 4:
        if time.monotonic() > deadline:
            raise SystemExit("no snapshot of every shard")
        kv.Put(kv_pb2.PutRequest(key=b"tick", value=b"x"), timeout=10)
        time.sleep(0.2)
    for j in range(100):
        kv.Put(kv_pb2.PutRequest(key=b"tail/%d" % j, value=b"t"), timeout=10)
    channel.close()
    du = subprocess.check_output(["du", "-sm", os.path.join(workdir, "data/shards")]).split()[0].decode()
    print("# store size on disk: %s MiB (data/shards), snapshots: %s MiB" % (
        du, subprocess.check_output(["du", "-sm", raft]).split()[0].decode()), flush=True)

    print("mode,run,data_mib,restart_to_first_linearizable_read_s,spawn_to_gate_done_s,gate_ms_max_over_shards")
    for mode in ["skip", "sigterm", "restore"]:
        for run in range(1, args.runs + 1):
            stop(p, signal.SIGTERM if mode == "sigterm" else signal.SIGKILL)
            if mode == "restore":
                shutil.rmtree(os.path.join(workdir, "data/shards"))
            mark = os.path.getsize(log)
            wall0 = time.time()
            p, t0 = start(config, log)
            elapsed, ch = first_read(kv_pb2, kv_pb2_grpc.KVStub, grpc, ports[1], probe, t0)
            ch.close()
            with open(log) as f:
                f.seek(mark)
                text = f.read()
            gates = [int(m) for m in re.findall(r"cold start .*duration_ms=(\d+)", text)]
            outcomes = set(re.findall(r"outcome=(\w+) reason=(\w+)", text))
            print("%s,%d,%s,%.3f,%.3f,%s  # %s" % (mode, run, du, elapsed, gate_done_at(text, wall0),
                                                  max(gates) if gates else -1, sorted(outcomes)), flush=True)
    stop(p, signal.SIGTERM)
    print("# node log: %s" % log)


if __name__ == "__main__":
    main()
