bench/vs-etcd.sh   # 2 cores, load average 1.11 15.75 21.71 at start, 2026-12-02
