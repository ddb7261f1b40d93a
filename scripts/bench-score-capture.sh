#!/usr/bin/env bash
# `anomaly score <capture>` (extraction and the detector, end to end) side by side with
# `anomaly extract` alone on the same capture, in one run, both pinned to one core.
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
for tool in taskset /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --quiet --release -p anomaly-cli --bin anomaly
cargo build --quiet --release -p packet-flows --example grow_capture
target/release/examples/grow_capture "$BASE" "$WORK/big.pcap" "$COPIES"
line=$(target/release/anomaly extract "$WORK/big.pcap" --out "$WORK/warm.csv" 2>&1 | tail -1)
packets=$(echo "$line" | grep -o '^[0-9]* packets' | cut -d' ' -f1)
records=$(echo "$line" | grep -o '[0-9]* records' | cut -d' ' -f1)
echo "capture: $COPIES copies of $BASE, $packets packets, $records records, $(du -h "$WORK/big.pcap" | cut -f1)"

# shellcheck source=lib/bench.sh
. scripts/lib/bench.sh
: >"$WORK/extract"; : >"$WORK/score"
for round in $(seq "$ROUNDS"); do
  e=$(timed target/release/anomaly extract "$WORK/big.pcap" --out "$WORK/flows.csv")
  s=$(timed target/release/anomaly score "$WORK/big.pcap" --out "$WORK/scores.csv")
  echo "round $round: extract $e s/KiB, score $s s/KiB"
  echo "$e" >>"$WORK/extract"; echo "$s" >>"$WORK/score"
done
e=$(cut -d' ' -f1 "$WORK/extract" | median); s=$(cut -d' ' -f1 "$WORK/score" | median)
em=$(cut -d' ' -f2 "$WORK/extract" | median); sm=$(cut -d' ' -f2 "$WORK/score" | median)
awk -v p="$packets" -v r="$records" -v e="$e" -v s="$s" -v em="$em" -v sm="$sm" \
  'BEGIN {
    printf "median of %d: anomaly extract %.2f s (%.0f packets/s, %.0f flows/s, %d KiB)\n",
      '"$ROUNDS"', e, p / e, r / e, em
    printf "              anomaly score   %.2f s (%.0f packets/s, %.0f flows/s, %d KiB): %.2fx the time of extract\n",
      s, p / s, r / s, sm, s / e
  }'
