# Shared by the side-by-side benchmarks (bench-extract.sh, bench-score-capture.sh).

# Prints "<seconds> <peak KiB>" of one command pinned to core 0 (its output discarded).
timed() { /usr/bin/time -f "%e %M" taskset -c 0 "$@" 2>&1 >/dev/null | tail -1; }

# The same, the command free to use every core of the machine.
timed_all() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }

# The median of the numbers on standard input, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
