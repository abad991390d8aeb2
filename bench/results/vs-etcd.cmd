bench/vs-etcd.sh --duration 5s  # 2 cores, load average 14.60 13.93 11.75 at start, 2026-12-01
