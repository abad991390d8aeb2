bench/vs-etcd.sh   # 2 cores, load average 0.71 7.31 8.99 at start, 2026-12-02
