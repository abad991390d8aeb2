#!/usr/bin/env python3
"""A shardkv client in another language: put, get, scan and delete-prefix against a cluster.

Usage: kv_client_check.py --stubs DIR --address HOST:PORT [--address HOST:PORT ...]
DIR holds Python code generated from api-proto/src/main/proto/shardkv/v1/kv.proto with
protoc --python_out=DIR --grpc_out=DIR --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin.
Exits non-zero on the first mismatch.
"""
import argparse
import sys
import uuid


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stubs", required=True)
    parser.add_argument("--address", action="append", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)
    import grpc
    from shardkv.v1 import kv_pb2, kv_pb2_grpc

    stubs = [kv_pb2_grpc.KVStub(grpc.insecure_channel(a)) for a in args.address]
    writer, readers = stubs[0], stubs
    prefix = ("py-" + uuid.uuid4().hex[:8] + "/").encode()
    keys = [prefix + b"%03d" % i for i in range(50)]

    for i, key in enumerate(keys):
        writer.Put(kv_pb2.PutRequest(key=key, value=b"value-%d" % i), timeout=10)
    for reader in readers:  # linearizable reads through every node see every acknowledged put
        for i, key in enumerate(keys):
            got = reader.Get(kv_pb2.GetRequest(key=key), timeout=10)
            check(got.found and got.value == b"value-%d" % i, "get %r through a node" % key)

    end = prefix[:-1] + b"0"  # the byte after '/'
    seen, start = [], prefix
    while True:  # page through the range in small pages: global byte order across shards
        page = readers[-1].Scan(kv_pb2.ScanRequest(start=start, end=end, limit=7), timeout=10)
        seen.extend(kv.key for kv in page.kvs)
        if not page.next_start:
            break
        start = page.next_start
    check(seen == sorted(keys), "scan returns every key once, in byte order")

    deleted = writer.DeletePrefix(kv_pb2.DeletePrefixRequest(prefix=prefix), timeout=10).deleted
    check(deleted == len(keys), "delete-prefix removed %d keys (expected %d)" % (deleted, len(keys)))
    after = readers[-1].Scan(kv_pb2.ScanRequest(start=prefix, end=end), timeout=10)
    check(len(after.kvs) == 0, "nothing left under the prefix")

    try:
        writer.Put(kv_pb2.PutRequest(key=b"", value=b"x"), timeout=10)
        check(False, "an empty key must be refused")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.INVALID_ARGUMENT, "empty key gives INVALID_ARGUMENT")
    print("python client: put/get/scan/delete-prefix OK against %s" % ", ".join(args.address))


def check(ok, what):
    if not ok:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
