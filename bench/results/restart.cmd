bench/restart.sh --sizes-gb 0.1,0.5,1 --runs 2 --dir /tmp/bench-restart  # 2 cores, load average 20.15 15.59 13.03 at start, 2026-12-01
