bin/shardkv-bench soak --duration 10m --kill-every 60s --clients 256  # 2 cores, load average 12.31 31.86 25.85 at start, 2026-12-02
