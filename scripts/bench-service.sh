#!/usr/bin/env bash
# Service figures over loopback, as the README quotes them: start to ready, /predict latency on
# one connection and throughput on 8 connections (wrk), resident memory with the default models
# loaded. Needs wrk (Debian: apt-get install wrk) and the default GGUF (scripts/setup-models.sh).
# DETECTOR=unsw-nb15-seed measures the original's model instead of the default one.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
duration=${DURATION:-10s}
port=${PORT:-8765}
url="http://127.0.0.1:$port"
export BODY_FILE=crates/flow-features/tests/fixtures/sample_request.json

cargo build --quiet --release -p anomaly-api
started=$(date +%s%N)
target/release/anomaly-api --bind "127.0.0.1:$port" --detector "${DETECTOR:-unsw-nb15-lstm}" \
  >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "$url/ready" >/dev/null; do sleep 0.005; done
ready=$(date +%s%N)
echo "start to ready: $(( (ready - started) / 1000000 )) ms"
echo "resident memory after start: $(( $(ps -o rss= -p $pid) / 1024 )) MB"

echo "== /predict, 1 connection =="
wrk -t1 -c1 -d"$duration" --latency -s scripts/wrk-predict.lua "$url/predict" \
  | grep -E "^\s+(50|90|99)%|Requests/sec"
echo "== /predict, 8 connections =="
wrk -t2 -c8 -d"$duration" --latency -s scripts/wrk-predict.lua "$url/predict" \
  | grep -E "^\s+(50|90|99)%|Requests/sec"
echo "resident memory after load: $(( $(ps -o rss= -p $pid) / 1024 )) MB"
