#!/usr/bin/env bash
# The flow table against Argus 3.0.8 on any capture: runs `argus` and `ra` with the command
# lines UNSW-NB15's features need, then the `argus_parity` example, which matches records by
# protocol, addresses, ports and start time and compares every field Argus computes.
#
# Usage: scripts/argus-parity.sh <capture.pcap>... [--save]
#   --save  also writes each reference where the parity test reads it: for a capture
#           crates/packet-flows/tests/fixtures/<dir>/<name>, tests/fixtures/argus/<dir>/<name>.csv.
#
# argus: -X ignores /etc/argus.conf (Debian's sets a 5 s status interval), -J keeps the
# inter-packet times and jitter, -R the TCP round trips, -A application bytes, -U 128 user
# data, -S 60 a status record every 60 s. ra: -n numbers, -u epoch seconds, -p 6 decimals,
# `- ip or arp` drops Argus's management records (UNSW-NB15 has ARP records, so they stay).
set -euo pipefail
cd "$(dirname "$0")/.."
save=0; captures=()
for arg in "$@"; do
  if [ "$arg" = --save ]; then save=1; else captures+=("$arg"); fi
done
[ "${#captures[@]}" -gt 0 ] || { echo "usage: $0 <capture>... [--save]" >&2; exit 2; }
for tool in argus ra; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install argus-server argus-client)" >&2; exit 1; }
done
FIELDS="stime ltime saddr sport daddr dport proto state dur spkts dpkts sbytes dbytes rate sload \
dload sloss dloss sintpkt dintpkt sjit djit swin dwin stcpb dtcpb tcprtt synack ackdat smeansz \
dmeansz sttl dttl"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cargo build --quiet --release -p packet-flows --example argus_parity
for capture in "${captures[@]}"; do
  name=$(basename "$capture")
  # argus appends to an existing output file; two captures may share a name.
  rm -f "$WORK/$name.argus"
  argus -X -J -R -A -U 128 -S 60 -r "$capture" -w "$WORK/$name.argus"
  # shellcheck disable=SC2086
  ra -r "$WORK/$name.argus" -n -u -p 6 -c , -L 0 -s $FIELDS - ip or arp >"$WORK/$name.csv"
  if [ "$save" = 1 ]; then
    fixtures=$(cd crates/packet-flows/tests/fixtures && pwd)
    dir=$(cd "$(dirname "$capture")" && pwd)
    case "$dir" in
      "$fixtures"*) sub=${dir#"$fixtures"} ;;
      *) echo "--save: $capture is not under $fixtures" >&2; exit 2 ;;
    esac
    mkdir -p "$fixtures/argus$sub"
    cp "$WORK/$name.csv" "$fixtures/argus$sub/$name.csv"
  fi
  target/release/examples/argus_parity "$capture" "$WORK/$name.csv"
done
