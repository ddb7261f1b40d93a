# Shared by the side-by-side benchmarks (bench-extract.sh, bench-score-capture.sh).

# Prints "<seconds> <peak KiB>" of one command pinned to core 0 (its output discarded).
timed() { /usr/bin/time -f "%e %M" taskset -c 0 "$@" 2>&1 >/dev/null | tail -1; }

# The same, the command free to use every core of the machine.
timed_all() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }

# The median of the numbers on standard input, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Stops unless every tool named is on the PATH; then makes WORK (a scratch directory removed
# on exit), builds the release `anomaly` and the `grow_capture` example, and writes
# $WORK/big.pcap: BASE grown to COPIES copies, each shifted past the one before.
bench_prepare() { # tool...
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
  done
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  cargo build --quiet --release -p anomaly-cli --bin anomaly
  cargo build --quiet --release -p packet-flows --example grow_capture
  target/release/examples/grow_capture "$BASE" "$WORK/big.pcap" "$COPIES"
}
