#!/usr/bin/env bash
# `anomaly extract` side by side with Argus (`argus` then `ra`, the reference command lines of
# scripts/argus-parity.sh) on the same capture, in one run, both pinned to one core.
#
# The capture is grown from a real one by the `grow_capture` example (COPIES copies of BASE,
# each shifted past the one before and renumbered), so its traffic is real packets and the
# flow table holds many hosts. A second capture a tenth the size shows whether memory stays
# flat in the capture's size. Prints each run's seconds and peak memory, then the medians and
# the packets/s ratio.
#
# Usage: scripts/bench-extract.sh   (BASE, COPIES, ROUNDS to change the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-crates/packet-flows/tests/fixtures/flows/http.pcap}
COPIES=${COPIES:-2000}
ROUNDS=${ROUNDS:-3}
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
bench_prepare argus ra taskset /usr/bin/time
target/release/examples/grow_capture "$BASE" "$WORK/small.pcap" "$((COPIES / 10))"
packets=$(target/release/anomaly extract "$WORK/big.pcap" --out "$WORK/warm.csv" 2>&1 \
  | grep -o '^[0-9]* packets' | cut -d' ' -f1)
echo "capture: $COPIES copies of $BASE, $packets packets, $(du -h "$WORK/big.pcap" | cut -f1)"

RA_FIELDS="stime ltime saddr sport daddr dport proto state dur spkts dpkts sbytes dbytes rate \
sload dload sloss dloss sintpkt dintpkt sjit djit swin dwin stcpb dtcpb tcprtt synack ackdat \
smeansz dmeansz sttl dttl"
argus_run() {
  local a r
  a=$(timed argus -X -J -R -A -U 128 -S 60 -r "$1" -w "$WORK/records.argus")
  # shellcheck disable=SC2086
  r=$(timed ra -r "$WORK/records.argus" -n -u -p 6 -c , -L 0 -s $RA_FIELDS - ip or arp)
  rm -f "$WORK/records.argus"
  # Seconds add up; memory is the larger of the two processes.
  echo "$a $r" | awk '{ printf "%.2f %d\n", $1 + $3, ($2 > $4 ? $2 : $4) }'
}
ours_run() { timed target/release/anomaly extract "$1" --out "$WORK/flows.csv"; }

: >"$WORK/argus"; : >"$WORK/ours"
for round in $(seq "$ROUNDS"); do
  a=$(argus_run "$WORK/big.pcap"); o=$(ours_run "$WORK/big.pcap")
  echo "round $round: argus+ra $a s/KiB, anomaly extract $o s/KiB"
  echo "$a" >>"$WORK/argus"; echo "$o" >>"$WORK/ours"
done
a=$(cut -d' ' -f1 "$WORK/argus" | median); o=$(cut -d' ' -f1 "$WORK/ours" | median)
am=$(cut -d' ' -f2 "$WORK/argus" | median); om=$(cut -d' ' -f2 "$WORK/ours" | median)
small_a=$(argus_run "$WORK/small.pcap" | cut -d' ' -f2)
small_o=$(ours_run "$WORK/small.pcap" | cut -d' ' -f2)
awk -v p="$packets" -v a="$a" -v o="$o" -v am="$am" -v om="$om" -v sa="$small_a" -v so="$small_o" \
  'BEGIN {
    printf "median of %d: argus+ra %.2f s (%.0f packets/s), anomaly extract %.2f s (%.0f packets/s): %.1fx\n",
      '"$ROUNDS"', a, p / a, o, p / o, a / o
    printf "peak memory, capture 1/10 -> full: argus+ra %d -> %d KiB, anomaly extract %d -> %d KiB\n",
      sa, am, so, om
  }'
