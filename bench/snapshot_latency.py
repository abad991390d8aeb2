#!/usr/bin/python3
"""Write latency while a large shard is snapshotted, against steady state.

Starts `bin/shardkv dev` in a scratch directory (ports 7001-7003: nothing else may use them),
loads --size-mb of 1 KiB values into shard 0 with Batch calls, then runs --writers threads of
1 KiB Puts into shard 0 for --seconds (steady state), and again while every node snapshots
shard 0 at once (Admin.TakeSnapshot on all three, the worst case: an automatic trigger fires on
every replica at about the same index). Prints p50/p90/p99/max for both windows and the
snapshot durations, then stops the cluster and removes the scratch directory.

Usage: bench/snapshot_latency.py [--size-mb 1024] [--writers 4] [--seconds 20] [--keep DIR]
Needs python3-grpcio, protoc and grpc_python_plugin (what .ci/run installs).
"""
import argparse, os, shutil, signal, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDRESSES = ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"]
SHARDS = 4


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def keys_in_shard(shard, prefix, start=0):
    """Keys of the documented shard function CRC32C(key) mod shards, in order."""
    i = start
    while True:
        k = b"%s/%d" % (prefix, i)
        if crc32c(k) % SHARDS == shard:
            yield k
        i += 1


def stubs():
    out = tempfile.mkdtemp(prefix="shardkv-stubs-")
    proto = os.path.join(ROOT, "api-proto/src/main/proto")
    subprocess.check_call(["protoc", "--python_out=" + out, "--grpc_out=" + out,
                           "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", "-I", proto,
                           os.path.join(proto, "shardkv/v1/kv.proto"), os.path.join(proto, "shardkv/v1/admin.proto")])
    sys.path.insert(0, out)
    return out


def percentiles(lat):
    lat = sorted(lat)
    if not lat:
        return "no samples"
    pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000
    return "n=%d p50=%.1f p90=%.1f p99=%.1f max=%.1f ms" % (len(lat), pct(50), pct(90), pct(99), lat[-1] * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--keep", help="use this directory and keep it")
    args = ap.parse_args()
    stub_dir = stubs()
    import grpc
    from shardkv.v1 import kv_pb2, kv_pb2_grpc, admin_pb2, admin_pb2_grpc

    work = args.keep or tempfile.mkdtemp(prefix="shardkv-snaplat-")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, SHARDKV_HEAP=os.environ.get("SHARDKV_HEAP", "512m"))
    dev = subprocess.Popen([os.path.join(ROOT, "bin/shardkv"), "dev"], cwd=work, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in dev.stdout:
            if "SERVING" in line:
                break
        else:
            raise SystemExit("bin/shardkv dev did not start; see %s/data/*.log" % work)
        threading.Thread(target=lambda: [None for _ in dev.stdout], daemon=True).start()
        token = open(os.path.join(work, "data/admin-token")).read().strip()
        kvs = [kv_pb2_grpc.KVStub(grpc.insecure_channel(a)) for a in ADDRESSES]
        admins = [admin_pb2_grpc.AdminStub(grpc.insecure_channel(a)) for a in ADDRESSES]
        auth = [("authorization", "Bearer " + token)]

        # Load shard 0: 1 MiB batches of 1 KiB values, a few loaders in parallel.
        batches = args.size_mb
        value = os.urandom(1024)
        t0 = time.monotonic()
        next_batch, lock = [0], threading.Lock()

        def loader(n):
            stub = kvs[n % 3]
            while True:
                with lock:
                    b = next_batch[0]
                    next_batch[0] += 1
                if b >= batches:
                    return
                keys = keys_in_shard(0, b"load/%d" % b)
                muts = [kv_pb2.Mutation(put=kv_pb2.Mutation.Put(key=next(keys), value=value)) for _ in range(1000)]
                stub.Batch(kv_pb2.BatchRequest(mutations=muts), timeout=120)
                if b % 64 == 0:
                    print("loaded %d/%d MiB (%.0f s)" % (b, batches, time.monotonic() - t0), flush=True)

        ls = [threading.Thread(target=loader, args=(n,)) for n in range(3)]
        [t.start() for t in ls]
        [t.join() for t in ls]
        print("loaded %d MiB into shard 0 in %.0f s" % (args.size_mb, time.monotonic() - t0), flush=True)
        # A first snapshot everywhere, so the measured one is a steady-state snapshot too.
        first = [a.TakeSnapshot(admin_pb2.TakeSnapshotRequest(shard=0), metadata=auth, timeout=600) for a in admins]
        print("first snapshot of shard 0 at index %s" % [f.snapshots[0].index for f in first], flush=True)

        def run_writers(seconds, during=None):
            samples, stop_at = [], time.monotonic() + seconds
            errors = [0]

            def writer(n):
                stub, keys, mine = kvs[n % 3], keys_in_shard(0, b"w/%d/%f" % (n, time.time())), []
                while time.monotonic() < stop_at:
                    s = time.monotonic()
                    try:
                        stub.Put(kv_pb2.PutRequest(key=next(keys), value=value), timeout=30)
                        mine.append((s, time.monotonic() - s))
                    except grpc.RpcError:
                        errors[0] += 1
                with lock:
                    samples.extend(mine)

            ws = [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
            [t.start() for t in ws]
            result = during() if during else None
            [t.join() for t in ws]
            return samples, errors[0], result

        steady, steady_errors, _ = run_writers(args.seconds)

        def snapshot_everywhere():
            time.sleep(2)  # writers warmed up
            start, durations = time.monotonic(), [None] * 3

            def snap(i):
                s = time.monotonic()
                admins[i].TakeSnapshot(admin_pb2.TakeSnapshotRequest(shard=0), metadata=auth, timeout=600)
                durations[i] = time.monotonic() - s

            ts = [threading.Thread(target=snap, args=(i,)) for i in range(3)]
            [t.start() for t in ts]
            [t.join() for t in ts]
            return start, time.monotonic(), durations

        samples, snap_errors, (w0, w1, durations) = run_writers(args.seconds + 30, snapshot_everywhere)
        during = [d for s, d in samples if w0 <= s <= w1]
        print()
        print("shard 0 holds %d MiB of 1 KiB values; %d writer threads of 1 KiB Puts (python3-grpcio); 2-core machine"
              % (args.size_mb, args.writers))
        print("snapshot of shard 0 on n1,n2,n3 at once took %s s (window %.1f s)"
              % (", ".join("%.1f" % d for d in durations), w1 - w0))
        print("steady state     : %s errors=%d" % (percentiles([d for _, d in steady]), steady_errors))
        print("during snapshot  : %s errors=%d" % (percentiles(during), snap_errors))
        for n in range(1, 4):
            sm = os.path.join(work, "data/n%d" % n)
            sizes = [os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(sm) for f in fs if f == "data.mdb"]
            print("n%d: data.mdb files (stores and snapshots) MiB: %s" % (n, sorted(s >> 20 for s in sizes)))
    finally:
        dev.send_signal(signal.SIGINT)
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            dev.kill()
        shutil.rmtree(stub_dir, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
