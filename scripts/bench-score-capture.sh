#!/usr/bin/env bash
# `anomaly score <capture>` (extraction and the detector, end to end) side by side with
# `anomaly extract` alone on the same capture, in one run: both free to use every core of
# the machine (what a user gets: `score` extracts on one thread and runs the detector on
# another; `extract` has one thread), then both pinned to one core (the CPU time each costs).
#
# The capture is grown from the labelled attack capture by packet-flows' `grow_capture`
# example (COPIES copies, each shifted past the one before), so it holds real scans, floods
# and sessions: about one flow per four packets, which is what the detector pays for. Prints
# each round's seconds, then the medians, packets/s and flows/s, and the ratio.
#
# Usage: scripts/bench-score-capture.sh   (BASE, COPIES, ROUNDS to change the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-crates/anomaly-cli/tests/fixtures/attack/attack.pcap}
COPIES=${COPIES:-20}
ROUNDS=${ROUNDS:-3}
# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
bench_prepare taskset /usr/bin/time
line=$(target/release/anomaly extract "$WORK/big.pcap" --out "$WORK/warm.csv" 2>&1 | tail -1)
packets=$(echo "$line" | grep -o '^[0-9]* packets' | cut -d' ' -f1)
records=$(echo "$line" | grep -o '[0-9]* records' | cut -d' ' -f1)
echo "capture: $COPIES copies of $BASE, $packets packets, $records records, $(du -h "$WORK/big.pcap" | cut -f1)"

modes="all one"
for mode in $modes; do : >"$WORK/extract-$mode"; : >"$WORK/score-$mode"; done
for round in $(seq "$ROUNDS"); do
  for mode in $modes; do
    run=timed_all; [ "$mode" = one ] && run=timed
    e=$($run target/release/anomaly extract "$WORK/big.pcap" --out "$WORK/flows.csv")
    s=$($run target/release/anomaly score "$WORK/big.pcap" --out "$WORK/scores.csv")
    echo "round $round, $mode core(s): extract $e s/KiB, score $s s/KiB"
    echo "$e" >>"$WORK/extract-$mode"; echo "$s" >>"$WORK/score-$mode"
  done
done
for mode in $modes; do
  e=$(cut -d' ' -f1 "$WORK/extract-$mode" | median); s=$(cut -d' ' -f1 "$WORK/score-$mode" | median)
  em=$(cut -d' ' -f2 "$WORK/extract-$mode" | median); sm=$(cut -d' ' -f2 "$WORK/score-$mode" | median)
  label="all $(nproc) cores"; [ "$mode" = one ] && label="one core"
  awk -v p="$packets" -v r="$records" -v e="$e" -v s="$s" -v em="$em" -v sm="$sm" -v l="$label" \
    'BEGIN {
      printf "%s, median of %d: anomaly extract %.2f s (%.0f packets/s, %.0f flows/s, %d KiB)\n",
        l, '"$ROUNDS"', e, p / e, r / e, em
      printf "    anomaly score   %.2f s (%.0f packets/s, %.0f flows/s, %d KiB): %.2fx the time of extract\n",
        s, p / s, r / s, sm, s / e
    }'
done
