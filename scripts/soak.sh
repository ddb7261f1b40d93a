#!/usr/bin/env bash
# Soak test of the service: for DURATION (default 3m), wrk sends a mix of good, bad and
# oversized requests on 8 connections (scripts/wrk-mixed.lua: /predict, /predict/batch, unknown
# routes, wrong content types, 20,000-character and injected category strings), a loop sends
# valid /analyze requests one after another (real generations with the default GGUF), and a
# third client times /health on one connection. It prints the requests answered by status,
# resident memory before and after, and /health's latency percentiles under that load, and
# fails on any 5xx or a transport error.
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
"target/$dir/anomaly-api" --bind "127.0.0.1:$port" --max-tokens 64 >/tmp/soak-server.log 2>&1 &
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
echo "  before: $before MB, after: $after MB"

fail=0
if echo "$mixed" | grep -q '^status 5'; then echo "FAIL: 5xx answers" >&2; fail=1; fi
if grep -qv '^200$' "$analyze_log"; then echo "FAIL: /analyze answered other than 200" >&2; fail=1; fi
if echo "$mixed" | grep -q 'Socket errors'; then echo "FAIL: transport errors" >&2; fail=1; fi
if grep -q 'Socket errors' "$health"; then echo "FAIL: /health transport errors" >&2; fail=1; fi
exit $fail
