#!/usr/bin/env bash
# Soak test of the service: for DURATION (default 3m), wrk sends a mix of good, bad and
# oversized requests on 8 connections (scripts/wrk-mixed.lua: /predict, /predict/batch, unknown
# routes, wrong content types, 20,000-character and injected category strings), a loop sends
# valid /analyze requests one after another (real generations with the default GGUF), and a
# third client times /health on one connection. It prints the requests answered by status,
# resident memory before and after, and /health's latency percentiles under that load, and
# fails on any 5xx or transport error, on resident memory growing by more than RSS_GROWTH_MB
# (64), or on /health's p99 above HEALTH_P99_MS (100).
#
# Needs wrk and curl (Debian: apt-get install wrk curl) and the default GGUF
# (scripts/setup-models.sh). PROFILE=release (default) or dev picks the build.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
duration=${DURATION:-3m}
port=${PORT:-8766}
profile=${PROFILE:-release}
url="http://127.0.0.1:$port"
export BODY_FILE=crates/flow-features/tests/fixtures/sample_request.json
dir=$([ "$profile" = dev ] && echo debug || echo release)

cargo build --quiet --profile "$profile" -p anomaly-api
# As many batch slots as connections: a 503 here can only be a fault, not back-pressure (the
# 503 of full slots has its own test).
"target/$dir/anomaly-api" --bind "127.0.0.1:$port" --max-tokens 64 --batch-jobs 8 \
  >/tmp/soak-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true' EXIT
until curl -sf "$url/ready" >/dev/null; do sleep 0.05; done
rss() { awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$pid/status"; }

# Warm-up: one of each request kind, so "before" is the steady state, not the empty heap.
wrk -t1 -c1 -d5s -s scripts/wrk-mixed.lua "$url" >/dev/null
curl -s -o /dev/null -H 'content-type: application/json' --data-binary "@$BODY_FILE" "$url/analyze"
before=$(rss)

analyze_log=$(mktemp)
(
  case $duration in *m) seconds=$(( ${duration%m} * 60 )) ;; *s) seconds=${duration%s} ;; *) seconds=$duration ;; esac
  end=$(( $(date +%s) + seconds ))
  while [ "$(date +%s)" -lt "$end" ]; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 -H 'content-type: application/json' \
      --data-binary "@$BODY_FILE" "$url/analyze" >>"$analyze_log" || echo transport >>"$analyze_log"
  done
) &
analyze_loop=$!
samples=$(mktemp)
( while kill -0 $pid 2>/dev/null; do rss >>"$samples"; echo >>"$samples"; sleep 30; done ) &
health=$(mktemp)
wrk -t1 -c1 -d"$duration" --latency "$url/health" >"$health" &
health_wrk=$!
mixed=$(wrk -t2 -c8 -d"$duration" --timeout 30s -s scripts/wrk-mixed.lua "$url")
wait $health_wrk
wait $analyze_loop
after=$(rss)

echo "== mixed load (wrk, 8 connections, $duration) =="
echo "$mixed" | grep -E "requests in|Socket errors|Non-2xx" || true
echo "$mixed" | grep '^status' | sort -k2n | awk '{ printf "  %s: %s\n", $2, $3 }'
echo "== /analyze, one after another =="
sort "$analyze_log" | uniq -c | awk '{ printf "  %s: %s\n", $2, $1 }'
echo "== /health on 1 connection, under that load =="
grep -E "^\s+(50|90|99)%|Requests/sec" "$health"
echo "== resident memory =="
echo "  before: $before MB, after: $after MB; every 30 s: $(grep . "$samples" | tr '\n' ' ')"

# wrk prints latencies as 812.00us, 1.23ms or 1.05s.
p99_ms=$(awk '$1 == "99%" { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
  print (u == "us" ? v / 1000 : (u == "s" ? v * 1000 : v)) }' "$health")
fail=0
if awk -v p="$p99_ms" -v max="${HEALTH_P99_MS:-100}" 'BEGIN { exit !(p > max) }'; then
  echo "FAIL: /health p99 ${p99_ms} ms over ${HEALTH_P99_MS:-100} ms" >&2; fail=1
fi
if [ "$after" -gt $(( before + ${RSS_GROWTH_MB:-64} )) ]; then
  echo "FAIL: resident memory grew from $before to $after MB" >&2; fail=1
fi
if echo "$mixed" | grep -q '^status 5'; then echo "FAIL: 5xx answers" >&2; fail=1; fi
if grep -qv '^200$' "$analyze_log"; then echo "FAIL: /analyze answered other than 200" >&2; fail=1; fi
if echo "$mixed" | grep -q 'Socket errors'; then echo "FAIL: transport errors" >&2; fail=1; fi
if grep -q 'Socket errors' "$health"; then echo "FAIL: /health transport errors" >&2; fail=1; fi
exit $fail
