#!/usr/bin/env bash
# Does training on extracted flows fix what the default model misses on veth traffic?
# Extracts a labelled attack capture (made by scripts/make-attack-capture.sh, never the
# committed fixture) with its phases as labels, appends its rows to the UNSW-NB15 rows of
# ../shared/data, trains a model with the default model's configuration, and
# replays held-out captures through both models with their per-phase tables.
#
# Usage: scripts/retrain-on-captures.sh <train-capture-dir> [<held-out-capture-dir>...]
#   Each directory holds attack.pcap and attack.phases.json. The committed fixture
#   (crates/anomaly-cli/tests/fixtures/attack) is always replayed as a held-out capture.
# Writes under ${WORK:-target/retrain}: flows.csv, train.csv, model/, and one
# <name>.{default,retrained}.txt table per held-out capture.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { sed -n 2,13p "$0" >&2; exit 2; }
TRAIN=$1; shift
WORK=${WORK:-$HERE/target/retrain}
DATA=${DATA:-$HERE/../shared/data/UNSW_NB15_testing-set.dev.csv}
mkdir -p "$WORK"
cargo build --release -q -p anomaly-cli
ANOMALY=$HERE/target/release/anomaly

"$ANOMALY" extract "$TRAIN/attack.pcap" --phases "$TRAIN/attack.phases.json" --out "$WORK/flows.csv"
# Both files have the release's 45 columns first (ours add the flow identity after them);
# none of the 45 holds a comma.
{ cat "$DATA"; tail -n +2 "$WORK/flows.csv" | cut -d, -f1-45; } > "$WORK/train.csv"
echo "training rows: $(($(wc -l < "$WORK/train.csv") - 1)) ($(($(wc -l < "$WORK/flows.csv") - 1)) from $TRAIN)"
# Every hyper-parameter left out is the shipped model's.
"$ANOMALY" train --data "$WORK/train.csv" --out "$WORK/model" --id unsw-nb15-plus-veth

for dir in "$HERE/crates/anomaly-cli/tests/fixtures/attack" "$@"; do
    name=$(basename "$(dirname "$dir/attack.pcap")")
    for model in default retrained; do
        detector=unsw-nb15-lstm
        [ "$model" = retrained ] && detector=$WORK/model
        "$ANOMALY" watch --capture "$dir/attack.pcap" --phases "$dir/attack.phases.json" \
            --detector "$detector" --stats-interval 0 --out /dev/null 2> "$WORK/$name.$model.txt"
        echo "== $dir, $model model"
        cat "$WORK/$name.$model.txt"
    done
done
