#!/usr/bin/python3
"""Puts per second against a running cluster (e.g. bin/shardkv dev), N client threads.

Usage: bench/put_rate.py [--address 127.0.0.1:7001 ...] [--threads 16] [--seconds 15] [--value-bytes 1024]
Each thread has its own channel (round robin over the addresses) and issues blocking Puts of
distinct keys; prints throughput and latency percentiles. A stopgap until the bench module
(issue 5) provides the full load generator.
"""
import argparse, os, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", action="append")
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--value-bytes", type=int, default=1024)
    args = ap.parse_args()
    addresses = args.address or ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"]
    out = tempfile.mkdtemp(prefix="shardkv-stubs-")
    proto = os.path.join(ROOT, "api-proto/src/main/proto")
    subprocess.check_call(["protoc", "--python_out=" + out, "--grpc_out=" + out,
                           "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", "-I", proto,
                           os.path.join(proto, "shardkv/v1/kv.proto")])
    sys.path.insert(0, out)
    import grpc
    from shardkv.v1 import kv_pb2, kv_pb2_grpc

    value = os.urandom(args.value_bytes)
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def worker(n):
        stub = kv_pb2_grpc.KVStub(grpc.insecure_channel(addresses[n % len(addresses)]))
        mine, i = [], 0
        while time.monotonic() < stop_at:
            t = time.monotonic()
            try:
                stub.Put(kv_pb2.PutRequest(key=b"rate/%d/%d" % (n, i), value=value), timeout=10)
                mine.append(time.monotonic() - t)
            except grpc.RpcError:
                with lock:
                    errors[0] += 1
            i += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000
    print("puts=%d errors=%d threads=%d value=%dB seconds=%.1f -> %.0f puts/s; latency ms p50=%.1f p90=%.1f p99=%.1f max=%.1f"
          % (len(latencies), errors[0], args.threads, args.value_bytes, elapsed, len(latencies) / elapsed,
             pct(50), pct(90), pct(99), latencies[-1] * 1000))


if __name__ == "__main__":
    main()
