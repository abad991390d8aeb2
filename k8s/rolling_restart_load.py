#!/usr/bin/python3
"""Client side of k8s/rolling-restart-local.sh: fills a cluster, then writes while it rolls.

  fill  --address A ... --mb N --value-kb K        write N MiB of K KiB values (16 threads)
  write --address A ... --unready FILE --stop FILE  put until FILE --stop exists, never to the
        address named in --unready (as a Service stops routing to a pod that is terminating),
        then read back every acknowledged key from every node and print one summary line.

Stubs are generated from api-proto with protoc, as bench/put_rate.py does (Debian packages:
python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc).
"""
import argparse, collections, os, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stubs():
    out = tempfile.mkdtemp(prefix="shardkv-stubs-")
    proto = os.path.join(ROOT, "api-proto/src/main/proto")
    subprocess.check_call(["protoc", "--python_out=" + out, "--grpc_out=" + out,
                           "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", "-I", proto,
                           os.path.join(proto, "shardkv/v1/kv.proto")])
    sys.path.insert(0, out)
    import grpc
    from shardkv.v1 import kv_pb2, kv_pb2_grpc
    return grpc, kv_pb2, kv_pb2_grpc


def fill(args, grpc, kv_pb2, kv_pb2_grpc):
    value = os.urandom(args.value_kb * 1024)
    total = args.mb * 1024 // args.value_kb
    next_key, lock, errors = [0], threading.Lock(), [0]

    def worker(n):
        stub = kv_pb2_grpc.KVStub(grpc.insecure_channel(args.address[n % len(args.address)]))
        while True:
            with lock:
                i = next_key[0]
                next_key[0] += 1
            if i >= total:
                return
            try:
                stub.Put(kv_pb2.PutRequest(key=b"fill/%08d" % i, value=value), timeout=30)
            except grpc.RpcError:
                with lock:
                    errors[0] += 1
    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("fill: %d x %d KiB = %d MiB in %.1f s, errors=%d"
          % (total, args.value_kb, total * args.value_kb // 1024, time.monotonic() - start, errors[0]))
    return 1 if errors[0] else 0


def write(args, grpc, kv_pb2, kv_pb2_grpc):
    channels = {a: kv_pb2_grpc.KVStub(grpc.insecure_channel(a)) for a in args.address}
    acked, errors = {}, collections.Counter()
    lock = threading.Lock()
    latencies = []

    def unready():
        try:
            with open(args.unready) as f:
                return f.read().strip()
        except FileNotFoundError:
            return ""

    def worker(n):
        i = 0
        while not os.path.exists(args.stop):
            ready = [a for a in args.address if a != unready()]
            address = ready[i % len(ready)]
            key, value = b"roll/%d/%d" % (n, i), b"v%d" % i
            t = time.monotonic()
            try:
                channels[address].Put(kv_pb2.PutRequest(key=key, value=value), timeout=10)
                with lock:
                    acked[key] = value
                    latencies.append(time.monotonic() - t)
                    if len(acked) == 1:
                        print("writer: started", flush=True)  # the script waits for this line
            except grpc.RpcError as e:
                with lock:
                    errors[e.code().name] += 1
            i += 1
    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    # Every acknowledged write must be readable, linearizably, from every node after the roll.
    missing = 0
    for address, stub in channels.items():
        for key, value in acked.items():
            r = stub.Get(kv_pb2.GetRequest(key=key), timeout=30)
            if not r.found or r.value != value:
                missing += 1
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0
    print("writes during roll: acked=%d in %.1f s (%.0f/s), errors=%s, latency ms p50=%.1f p99=%.1f max=%.1f;"
          " acked writes missing on read-back from %d nodes: %d"
          % (len(acked), elapsed, len(acked) / elapsed, dict(errors) or "none", pct(50), pct(99),
             pct(100), len(channels), missing))
    return 1 if missing else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["fill", "write"])
    ap.add_argument("--address", action="append", required=True)
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--value-kb", type=int, default=32)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--unready")
    ap.add_argument("--stop")
    args = ap.parse_args()
    grpc, kv_pb2, kv_pb2_grpc = stubs()
    sys.exit(fill(args, grpc, kv_pb2, kv_pb2_grpc) if args.mode == "fill" else write(args, grpc, kv_pb2, kv_pb2_grpc))


if __name__ == "__main__":
    main()
