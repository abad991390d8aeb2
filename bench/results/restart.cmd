bench/restart.sh --sizes-gb 0.1,0.5,1,2 --runs 2 --dir /tmp/bench-restart2  # 2 cores, load average 14.88 8.78 9.52 at start, 2026-12-01
