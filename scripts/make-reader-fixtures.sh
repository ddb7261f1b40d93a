#!/usr/bin/env bash
# Makes the small real captures that packet-flows' tests read.
#
# Traffic runs only between two network namespaces this script creates (pfA, pfB: a veth pair,
# 10.77.0.1/24 <-> 10.77.0.2/24 and fd77::1 <-> fd77::2), a tun device inside pfA, and pfA's
# own loopback. Every background process runs under `timeout`; the namespaces are removed on
# exit, error or not. Needs root, iproute2, tcpdump, curl, ping and python3; dumpcap/editcap
# (Wireshark) for the pcapng files and argus/ra for the proto-name table are optional.
#
# Usage: sudo scripts/make-reader-fixtures.sh [output-dir]
# Each capture gets a `<name>.txt` beside it: `tcpdump -r <name> -nn -tt -e` (or tshark for
# pcapng), the independent reading the tests' expected values come from. Re-running changes
# addresses, ports and timestamps, so the tests' expected values must be re-read from those.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../crates/packet-flows/tests/fixtures}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
PY=$(command -v python3)
PIDS=()

for tool in ip tcpdump curl ping "$PY"; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }

cleanup() {
    for pid in "${PIDS[@]:-}"; do
        if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    done
    wait 2>/dev/null || true
    ip netns del pfA 2>/dev/null || true
    ip netns del pfB 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

A() { ip netns exec pfA "$@"; }
B() { ip netns exec pfB "$@"; }

# --- the two namespaces -------------------------------------------------------------------
ip netns del pfA 2>/dev/null || true
ip netns del pfB 2>/dev/null || true
ip netns add pfA
ip netns add pfB
ip link add pfa0 netns pfA type veth peer name pfb0 netns pfB
A ip link set lo up
B ip link set lo up
A ip addr add 10.77.0.1/24 dev pfa0
B ip addr add 10.77.0.2/24 dev pfb0
A ip addr add fd77::1/64 dev pfa0 nodad
B ip addr add fd77::2/64 dev pfb0 nodad
A ip link set pfa0 up
B ip link set pfb0 up

# A tun device in pfA whose other end is a Python process that only drains it: tcpdump on a
# tun writes LINKTYPE_RAW (bare IP packets, no link header).
ip netns exec pfA timeout 120 "$PY" -c '
import fcntl, os, struct, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"pftun0", 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN|IFF_NO_PI
os.set_blocking(fd, False)
end = time.time() + 110
while time.time() < end:
    try:
        os.read(fd, 65536)
    except BlockingIOError:
        time.sleep(0.01)
' &
PIDS+=($!)
for _ in $(seq 50); do A ip link show pftun0 >/dev/null 2>&1 && break; sleep 0.1; done
A ip addr add 10.79.0.1/24 dev pftun0
A ip addr add fd79::1/64 dev pftun0 nodad
A ip link set pftun0 up

# A small web root and servers: one on the veth (pfB), one on pfA's loopback.
mkdir -p "$WORK/www"
"$PY" -c 'import sys; sys.stdout.write("".join("line %04d of a small test page\n" % i for i in range(40)))' \
    >"$WORK/www/small.txt"
"$PY" -c 'import sys; sys.stdout.write("x" * 40000)' >"$WORK/www/big.txt"
ip netns exec pfB timeout 110 "$PY" -m http.server 8000 --bind 10.77.0.2 --directory "$WORK/www" \
    >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec pfA timeout 110 "$PY" -m http.server 8001 --bind 127.0.0.1 --directory "$WORK/www" \
    >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
    A curl -s -o /dev/null http://10.77.0.2:8000/ && A curl -s -o /dev/null http://127.0.0.1:8001/ \
        && break
    sleep 0.1
done

# --- traffic ------------------------------------------------------------------------------
# UDP datagrams shaped like DNS queries from a fixed source port; nothing listens on port 53,
# so the peer answers ICMP port unreachable.
udp4() { # ns dst [count]
    ip netns exec "$1" "$PY" -c '
import socket, struct, sys
dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40053))
for i in range(count):
    q = struct.pack("!HHHHHH", 0x1000 + i, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01"
    s.sendto(q, (dst, 53))
' "$2" "${3:-3}"
}
# One UDP datagram of 3000 bytes with DF off: the kernel sends it as IPv4 fragments.
udp4_fragmented() { # ns dst
    ip netns exec "$1" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
s.bind(("0.0.0.0", 40054))
s.sendto(bytes(range(256)) * 11 + bytes(184), (sys.argv[1], 9999))
' "$2"
}
# UDP over IPv6 with a hop-by-hop and a destination-options extension header.
udp6_exthdrs() { # ns dst
    ip netns exec "$1" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
padn = bytes([0, 0, 1, 4, 0, 0, 0, 0])  # next header and length are filled in by the kernel
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, padn)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, padn)
s.bind(("::", 40055))
s.sendto(b"hello over ipv6 with extension headers", (sys.argv[1], 5555))
' "$2"
}

capture() { # name ns tcpdump-args... ; starts tcpdump and waits until it listens
    local name=$1 ns=$2
    shift 2
    rm -f "$OUT/$name"
    ip netns exec "$ns" timeout 60 tcpdump -U --immediate-mode -n "$@" -w "$OUT/$name" 2>"$WORK/$name.log" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    for _ in $(seq 100); do grep -q "listening on" "$WORK/$name.log" && break; sleep 0.05; done
    sleep 0.2
}
stop_capture() {
    sleep 0.5
    kill -INT "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
}
log() { echo "[$(date +%T.%N | cut -c1-12)] $*" >&2; }
describe() { # name: the independent reading the tests are checked against
    tcpdump -r "$OUT/$1" -nn -tt -e >"$OUT/$1.txt" 2>/dev/null
}

# 1. Ethernet, microsecond pcap, on pfB's veth: ARP, HTTP over TCP, UDP, ICMP, fragments, IPv6.
log "1"
A ip neigh flush all
B ip neigh flush all
capture ethernet.pcap pfB -i pfb0
A ping -c 2 -i 0.2 -W 1 10.77.0.2 >/dev/null
A curl -s -o /dev/null http://10.77.0.2:8000/small.txt
udp4 pfA 10.77.0.2 2
A ping -c 1 -s 3000 -M dont -W 1 10.77.0.2 >/dev/null
udp4_fragmented pfA 10.77.0.2
A ping -6 -c 1 -W 1 fd77::2 >/dev/null
udp6_exthdrs pfA fd77::2
stop_capture
describe ethernet.pcap

# 2. Nanosecond timestamps.
log "2"
capture nanosecond.pcap pfB -i pfb0 --time-stamp-precision=nano
A ping -c 2 -i 0.2 -W 1 10.77.0.2 >/dev/null
udp4 pfA 10.77.0.2 1
stop_capture
tcpdump -r "$OUT/nanosecond.pcap" --time-stamp-precision=nano -nn -tt -e \
    >"$OUT/nanosecond.pcap.txt" 2>/dev/null

# 3, 4. Linux cooked captures on "any" (SLL and SLL2).
log "3, 4"
capture sll.pcap pfA -i any -y LINUX_SLL
A ping -c 1 -W 1 10.77.0.2 >/dev/null
udp4 pfA 10.77.0.2 1
stop_capture
describe sll.pcap
capture sll2.pcap pfA -i any -y LINUX_SLL2
A ping -c 1 -W 1 10.77.0.2 >/dev/null
udp4 pfA 10.77.0.2 1
stop_capture
describe sll2.pcap

# 5. Loopback (Linux gives it Ethernet framing with zero addresses).
log "5"
capture loopback.pcap pfA -i lo
A curl -s -o /dev/null http://127.0.0.1:8001/small.txt
stop_capture
describe loopback.pcap

# 6. Raw IP (LINKTYPE_RAW) on the tun: IPv4 pings and UDP, IPv6 UDP, all one way.
log "6"
capture raw.pcap pfA -i pftun0
A ping -c 2 -i 0.2 -W 1 10.79.0.2 >/dev/null || true
udp4 pfA 10.79.0.2 1
udp6_exthdrs pfA fd79::2
stop_capture
describe raw.pcap

# 7. Segmentation offload: a 40 kB download over the veth, cut at 128 bytes (-s), seen on
log "7"
# the sending side. Frames longer than the 1500-byte MTU show up as single "packets".
capture offload.pcap pfB -i pfb0 -s 128
A curl -s -o /dev/null http://10.77.0.2:8000/big.txt
stop_capture
describe offload.pcap

# 8. pcapng, when Wireshark's tools are installed: dumpcap writes one file with two
log "8"
# interfaces of different link types (Ethernet veth + raw tun), editcap converts the pcap
# files (keeping their timestamp resolution in if_tsresol).
if command -v dumpcap >/dev/null; then
    rm -f "$OUT/multi.pcapng"
    ip netns exec pfA timeout 60 dumpcap -q -i pfa0 -i pftun0 -w "$OUT/multi.pcapng" 2>"$WORK/dumpcap.log" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    for _ in $(seq 100); do grep -q "File:" "$WORK/dumpcap.log" && break; sleep 0.05; done
    sleep 0.5
    A ping -c 2 -i 0.2 -W 1 10.77.0.2 >/dev/null
    A ping -c 1 -W 1 10.79.0.2 >/dev/null || true
    stop_capture
    tshark -r "$OUT/multi.pcapng" -T fields -e frame.number -e frame.interface_id \
        -e frame.time_epoch -e frame.len -e _ws.col.Info >"$OUT/multi.pcapng.txt" 2>/dev/null || true
fi
if command -v editcap >/dev/null; then
    editcap -F pcapng "$OUT/ethernet.pcap" "$OUT/ethernet.pcapng"
    editcap -F pcapng "$OUT/nanosecond.pcap" "$OUT/nanosecond.pcapng"
fi

# 9. The protocol-name table Argus prints, one crafted IPv4 packet per protocol number.
log "9"
if command -v argus >/dev/null && command -v ra >/dev/null; then
    "$PY" - "$WORK/protos.pcap" <<'EOF'
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
with open(sys.argv[1], "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for p in range(256):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, p, 0, 64, p, 0, bytes([10, 1, p, 1]), bytes([10, 2, p, 2]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        frame = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]) + b"\x08\x00" + ip + bytes(20)
        out.write(struct.pack("<IIII", 1700000000 + p, 0, len(frame), len(frame)) + frame)
EOF
    argus -X -r "$WORK/protos.pcap" -w "$WORK/protos.argus"
    # The third octet of either address is the protocol number (ICMP replies get reversed).
    ra -r "$WORK/protos.argus" -n -c , -L -1 -s saddr proto - ip \
        | awk -F, '{split($1, a, "."); print a[3], $2}' | sort -n >"$OUT/argus-proto-names.txt"
fi

# tcpdump writes as its own user and dumpcap with mode 600: give the files the folder's owner.
chown --reference="$OUT" "$OUT"/*
chmod 644 "$OUT"/*
ls -l "$OUT"
