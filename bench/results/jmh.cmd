bench/jmh.sh -f 1 -wi 2 -i 3 -w 1s -r 2s
