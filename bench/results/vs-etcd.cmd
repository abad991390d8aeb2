bench/vs-etcd.sh   # 2 cores, load average 10.39 8.15 7.70 at start, 2026-12-01
