bench/vs-etcd.sh   # 2 cores, load average 1.55 8.68 8.81 at start, 2026-12-02
