#!/usr/bin/env bash
# Makes small real captures of realistic traffic mixes for packet-flows' flow-record tests,
# each with Argus 3.0.8's records of it beside it when argus/ra are installed.
#
# Traffic runs only between network namespaces this script creates, fcA (clients) and fcB
# (servers), joined by two veth pairs: fca0/fcb0 (10.78.0.1/24 <-> 10.78.0.2/24, fd78::1 <->
# fd78::2) for the short captures and fca1/fcb1 (10.78.1.1/24 <-> 10.78.1.2/24, fd78:1::1 <->
# fd78:1::2) for long.pcap, which runs alongside the others; loss.pcap goes through a third
# namespace, the router fcR (10.78.2.1 -> 10.78.2.254 | 10.78.3.254 -> 10.78.3.2), where single
# packets are dropped on purpose. Captures are taken with tcpdump on
# the client's side of the veth (Ethernet, full snap length). Every background process runs
# under `timeout`, every traffic loop is bounded, and the namespaces are removed on exit, error
# or not. Runs in about two and a half minutes.
#
# Needs root and: iproute2, tcpdump, curl, ping, python3 with pyftpdlib, nmap, dig, dnsmasq,
# ethtool, nft. Debian: apt-get install tcpdump curl iputils-ping nmap bind9-dnsutils \
# dnsmasq-base ethtool nftables; PyPI: pip install pyftpdlib. argus/ra (argus-server,
# argus-client) are optional: with them each capture gets `<name>.argus.csv`.
#
# Usage: sudo scripts/make-flow-captures.sh [output-dir]
#   (default crates/packet-flows/tests/fixtures/flows/)
# Beside each capture: `<name>.txt` (`tcpdump -r <name> -nn -tt -v`, the independent reading),
# `<name>.phases` (epoch time and what was sent, one line a step) and `<name>.argus.csv`; the
# folder's README.md says what each capture holds and which tool versions made them.
# Re-running changes ports, sequence numbers and timestamps: expected values must be re-read.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../crates/packet-flows/tests/fixtures/flows}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()
NAMESPACES=(fcA fcB fcR)
# shellcheck source=lib/netns-lab.sh
. "$HERE/lib/netns-lab.sh"
lab_require "apt-get install tcpdump curl iputils-ping nmap bind9-dnsutils dnsmasq-base ethtool nftables" \
    ip tcpdump curl ping python3 nmap dig dnsmasq ethtool nft
HAVE_ARGUS=0
if command -v argus >/dev/null && command -v ra >/dev/null; then HAVE_ARGUS=1; fi

trap lab_cleanup EXIT

A() { ip netns exec fcA "$@"; }
B() { ip netns exec fcB "$@"; }
R() { ip netns exec fcR "$@"; }

# --- tool versions ---------------------------------------------------------------------------
versions() {
    lab_versions
    echo "curl: $(curl --version | head -1 | awk '{print $2}')"
    echo "nmap: $(nmap --version | head -1 | awk '{print $3}')"
    echo "dig: $(dig -v 2>&1 | awk '{print $2}')"
    echo "dnsmasq: $(dnsmasq --version | head -1 | awk '{print $3}')"
    echo "ping: $(ping -V 2>&1 | head -1)"
    echo "ethtool: $(ethtool --version | awk '{print $3}')"
    echo "nft: $(nft --version | awk '{print $2}')"
    if [ "$HAVE_ARGUS" = 1 ]; then
        echo "argus: $(argus -h 2>&1 | sed -n 's/^Argus Version //p' | head -1)"
        echo "ra: $(ra -h 2>&1 | sed -n 's/^Ra Version //p' | head -1)"
    fi
}
lab_record_versions

# --- the two namespaces ----------------------------------------------------------------------
lab_remove_namespaces
for ns in "${NAMESPACES[@]}"; do
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
    # No router solicitations and no duplicate-address probes: less unrelated IPv6 chatter.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
done
ip link add fca0 netns fcA type veth peer name fcb0 netns fcB
ip link add fca1 netns fcA type veth peer name fcb1 netns fcB
A ip addr add 10.78.0.1/24 dev fca0
B ip addr add 10.78.0.2/24 dev fcb0
A ip addr add fd78::1/64 dev fca0 nodad
B ip addr add fd78::2/64 dev fcb0 nodad
A ip addr add 10.78.1.1/24 dev fca1
B ip addr add 10.78.1.2/24 dev fcb1
A ip addr add fd78:1::1/64 dev fca1 nodad
B ip addr add fd78:1::2/64 dev fcb1 nodad
# The path through the router namespace fcR, for loss.pcap.
ip link add fca2 netns fcA type veth peer name fcr0 netns fcR
ip link add fcb2 netns fcB type veth peer name fcr1 netns fcR
A ip addr add 10.78.2.1/24 dev fca2
R ip addr add 10.78.2.254/24 dev fcr0
R ip addr add 10.78.3.254/24 dev fcr1
B ip addr add 10.78.3.2/24 dev fcb2
R sysctl -qw net.ipv4.ip_forward=1
noffload() { # ns dev on|off: segmentation offloads of one device
    ip netns exec "$1" ethtool -K "$2" tso "$3" gso "$3" gro "$3" 2>/dev/null
}
offloads() { # pair on|off: segmentation offloads on both ends of fcaN/fcbN
    noffload fcA "fca$1" "$2"
    noffload fcB "fcb$1" "$2"
}
for i in 0 1 2; do
    offloads "$i" off
    A ip link set "fca$i" up
    B ip link set "fcb$i" up
done
noffload fcR fcr0 off
noffload fcR fcr1 off
R ip link set fcr0 up
R ip link set fcr1 up
A ip route add 10.78.3.0/24 via 10.78.2.254
B ip route add 10.78.2.0/24 via 10.78.3.254

# --- content and servers (all in fcB) --------------------------------------------------------
mkdir -p "$WORK/www" "$WORK/ftp"
"$PY" - "$WORK" <<'EOF'
import os, random, sys
w = sys.argv[1]
rnd = random.Random(78)
def text(n, tag):
    lines, size = [], 0
    while size < n:
        l = "%s line %05d %s\n" % (tag, len(lines), "".join(rnd.choice("abcdefghij") for _ in range(40)))
        lines.append(l); size += len(l)
    return "".join(lines)[:n]
open(os.path.join(w, "www/index.html"), "w").write(
    "<html><head><title>flow test</title></head><body><p>small page</p></body></html>\n")
open(os.path.join(w, "www/small.txt"), "w").write(text(1200, "small"))
open(os.path.join(w, "www/medium.txt"), "w").write(text(9000, "medium"))
open(os.path.join(w, "www/large.bin"), "wb").write(rnd.randbytes(48000))
open(os.path.join(w, "www/bulk.bin"), "wb").write(rnd.randbytes(40000))
open(os.path.join(w, "www/offload.bin"), "wb").write(rnd.randbytes(200000))
open(os.path.join(w, "post.bin"), "wb").write(rnd.randbytes(6000))
open(os.path.join(w, "upload.bin"), "wb").write(rnd.randbytes(40000))
open(os.path.join(w, "ftp/readme.txt"), "w").write(text(700, "readme"))
open(os.path.join(w, "ftp/report.csv"), "w").write(text(24000, "report"))
open(os.path.join(w, "ftp-upload.bin"), "wb").write(rnd.randbytes(12000))
EOF

# HTTP/1.1 (keep-alive) file server with POST, on [::]:8000 (IPv4 too).
cat >"$WORK/httpd.py" <<'EOF'
import http.server, json, socket, sys
class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        data = self.rfile.read(n)
        body = json.dumps({"path": self.path, "received": len(data)}).encode() + b"\n"
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
root = sys.argv[1]
S(("::", 8000), lambda *a: H(*a, directory=root)).serve_forever()
EOF
ip netns exec fcB timeout 400 "$PY" "$WORK/httpd.py" "$WORK/www" >"$WORK/httpd.log" 2>&1 &
PIDS+=($!)

# FTP with a real login (pyftpdlib), passive data ports 60000-60010.
cat >"$WORK/ftpd.py" <<'EOF'
import logging, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
a = DummyAuthorizer()
a.add_user("alice", "s3cret-pw", sys.argv[1], perm="elradfmw")
FTPHandler.authorizer = a
FTPHandler.banner = "flowguard test FTP server ready."
FTPHandler.passive_ports = range(60000, 60011)
FTPHandler.auth_failed_timeout = 1
FTPServer(("10.78.0.2", 21), FTPHandler).serve_forever()
EOF
ip netns exec fcB timeout 400 "$PY" "$WORK/ftpd.py" "$WORK/ftp" >"$WORK/ftpd.log" 2>&1 &
PIDS+=($!)

# DNS: dnsmasq answering for flow.test only (NXDOMAIN for the rest of flow.test; no upstream).
ip netns exec fcB timeout 400 dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --pid-file= --user=root --bind-interfaces --listen-address=10.78.0.2 \
    --listen-address=fd78::2 --port=53 --local=/flow.test/ --domain=flow.test \
    --host-record=www.flow.test,10.78.0.2,fd78::2 --host-record=ftp.flow.test,10.78.0.2 \
    --host-record=client.flow.test,10.78.0.1,fd78::1 --cname=files.flow.test,www.flow.test \
    --mx-host=flow.test,mail.flow.test,10 --host-record=mail.flow.test,10.78.0.2 \
    '--txt-record=info.flow.test,flowguard test zone,served by dnsmasq' \
    --log-queries --log-facility=- >"$WORK/dnsmasq.log" 2>&1 &
PIDS+=($!)

# Small TCP/UDP services: banners on 22 and 80, echo on 7000 (TCP) and 7007 (UDP), and 7001,
# which reads one message and then resets the connection (SO_LINGER 0).
cat >"$WORK/services.py" <<'EOF'
import socket, struct, threading
def listen(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port)); s.listen(64)
    return s
def serve(port, handle):
    s = listen(port)
    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=guard, args=(handle, c), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
def guard(handle, c):
    try:
        handle(c)
    except OSError:
        pass
    finally:
        c.close()
def ssh(c):
    c.sendall(b"SSH-2.0-flowguard_test\r\n")
    c.settimeout(5)
    c.recv(256)
def www(c):
    c.settimeout(5)
    c.recv(2048)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
def echo(c):
    c.settimeout(150)
    while True:
        d = c.recv(4096)
        if not d:
            return
        c.sendall(d)
def resetter(c):
    c.settimeout(5)
    c.recv(4096)
    c.sendall(b"got it, now resetting\n")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
serve(22, ssh); serve(80, www); serve(7000, echo); serve(7001, resetter)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
u.bind(("::", 7007))
while True:
    d, peer = u.recvfrom(4096)
    u.sendto(b"echo " + d, peer)
EOF
ip netns exec fcB timeout 400 "$PY" "$WORK/services.py" >"$WORK/services.log" 2>&1 &
PIDS+=($!)

ready=0
for _ in $(seq 100); do
    if A curl -s -o /dev/null http://10.78.0.2:8000/index.html \
        && A curl -s -o /dev/null http://10.78.1.2:8000/index.html \
        && A curl -s -o /dev/null http://10.78.3.2:8000/index.html \
        && A dig +short +time=1 +tries=1 @10.78.0.2 www.flow.test | grep -q 10.78.0.2 \
        && A "$PY" -c 'import socket; [socket.create_connection(("10.78.0.2", p), 1).close() for p in (21, 22, 7000)]' \
            2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" != 1 ]; then
    echo "the servers did not come up:" >&2
    tail -n 5 "$WORK"/*.log >&2
    exit 1
fi
sleep 1.5 # let the links' own IPv6 multicast reports pass before any capture starts

# --- capture helpers -------------------------------------------------------------------------
CUR=""
capture() { # name dev seconds ; starts tcpdump in fcA and waits until it listens
    local name=$1 dev=$2 secs=$3
    rm -f "$OUT/$name" "$OUT/$name.phases"
    A ip neigh flush dev "$dev"
    B ip neigh flush dev "${dev/fca/fcb}"
    ip netns exec fcA timeout "$secs" tcpdump -U --immediate-mode -n -Z root -s 0 -y EN10MB -i "$dev" \
        -w "$OUT/$name" 2>"$WORK/$name.log" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    for _ in $(seq 100); do grep -q "listening on" "$WORK/$name.log" && break; sleep 0.05; done
    sleep 0.3
    CUR=$name
}
stop_capture() { # [pid]
    local pid=${1:-$CAP_PID}
    sleep 0.7
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
phase() { # text: one line of <name>.phases, when this step started
    printf '%s\t%s\n' "$(date +%s.%6N)" "$*" >>"$OUT/$CUR.phases"
    log "$CUR: $*"
}
c() { A curl -s --max-time 10 "$@"; }

# --- long.pcap, on the second veth pair, running while the others are made -----------------
cat >"$WORK/long.py" <<'EOF'
import socket, subprocess, sys, threading, time
phases = open(sys.argv[1], "a", buffering=1)
lock = threading.Lock()
def phase(text):
    with lock:
        phases.write("%.6f\t%s\n" % (time.time(), text))
SRV = "10.78.1.2"
def tcp_ticker():
    s = socket.create_connection((SRV, 7000), 5, source_address=("10.78.1.1", 43000))
    phase("tcp 43000->7000: 14 messages 10 s apart (130 s), echoed")
    for i in range(14):
        if i:
            time.sleep(10)
        s.sendall(b"tick %02d\n" % i)
        s.recv(64)
    s.close()
    phase("tcp 43000->7000: closed")
def tcp_idle():
    s = socket.create_connection((SRV, 7000), 5, source_address=("10.78.1.1", 43001))
    phase("tcp 43001->7000: one message, 65 s idle, one message, close")
    s.sendall(b"before the gap\n"); s.recv(64)
    time.sleep(65)
    phase("tcp 43001->7000: resumes after 65 s")
    s.sendall(b"after the gap\n"); s.recv(64)
    time.sleep(1)
    s.close()
def udp_gap():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("10.78.1.1", 41000)); u.settimeout(2)
    phase("udp 41000->7007: 3 exchanges 1 s apart, 35 s idle, 3 more")
    for k in range(2):
        if k:
            time.sleep(35)
            phase("udp 41000->7007: resumes after 35 s")
        for i in range(3):
            u.sendto(b"burst %d msg %d" % (k, i), (SRV, 7007)); u.recvfrom(64)
            time.sleep(1)
def udp_steady():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("10.78.1.1", 41001)); u.settimeout(2)
    phase("udp 41001->7007: 13 exchanges 10 s apart (120 s)")
    for i in range(13):
        if i:
            time.sleep(10)
        u.sendto(b"steady %02d" % i, (SRV, 7007)); u.recvfrom(64)
def udp6_gap():
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.bind(("fd78:1::1", 41002)); u.settimeout(2)
    phase("udp6 41002->7007: 2 exchanges, 40 s idle, 2 more")
    for k in range(2):
        if k:
            time.sleep(40)
        for i in range(2):
            u.sendto(b"v6 burst %d msg %d" % (k, i), ("fd78:1::2", 7007)); u.recvfrom(64)
            time.sleep(0.5)
def pinger():
    phase("icmp: ping -c 8 -i 10 10.78.1.2 (70 s)")
    subprocess.run(["ping", "-n", "-q", "-c", "8", "-i", "10", "-W", "2", SRV], stdout=subprocess.DEVNULL)
ts = [threading.Thread(target=f) for f in (tcp_ticker, tcp_idle, udp_gap, udp_steady, udp6_gap, pinger)]
for t in ts:
    t.start(); time.sleep(0.2)
for t in ts:
    t.join()
phase("all done")
EOF
log "long.pcap: starting (about 135 s, in the background)"
capture long.pcap fca1 200
LONG_CAP=$CAP_PID
ip netns exec fcA timeout 170 "$PY" "$WORK/long.py" "$OUT/long.pcap.phases" &
LONG_PID=$!
PIDS+=("$LONG_PID")

# --- http.pcap -------------------------------------------------------------------------------
capture http.pcap fca0 60
S=http://10.78.0.2:8000
phase "GET /index.html (single request)"
c -o /dev/null $S/index.html
phase "GET /large.bin (48000 bytes, single request)"
c -o /dev/null $S/large.bin
phase "keep-alive: GET /small.txt /medium.txt /large.bin /index.html on one connection"
c -o /dev/null $S/small.txt -o /dev/null $S/medium.txt -o /dev/null $S/large.bin -o /dev/null $S/index.html
phase "POST /upload (6000 bytes, Expect: 100-continue) -> 201"
c -o /dev/null --data-binary @"$WORK/post.bin" $S/upload
phase "POST /form (small form) -> 201"
c -o /dev/null -d 'name=flow&value=42' $S/form
phase "GET /missing.html -> 404 (server closes)"
c -o /dev/null $S/missing.html
phase "HEAD /medium.txt"
c -o /dev/null -I $S/medium.txt
phase "HTTP/1.0 GET /small.txt (server closes)"
c -o /dev/null -0 $S/small.txt
phase "IPv6: GET http://[fd78::2]:8000/medium.txt"
c -o /dev/null -g "http://[fd78::2]:8000/medium.txt"
phase "GET to a closed port 8080 (RST)"
c -o /dev/null http://10.78.0.2:8080/ || true
stop_capture
phase "end"

# --- loss.pcap: retransmissions from one-shot nft drops ---------------------------------------
# Through the router namespace fcR (client fca2 10.78.2.1 -> fcR -> server fcb2 10.78.3.2), so a
# packet can be lost where neither end's stack sees it: a drop in the end hosts' own output
# path is reported back to TCP, which just sends the data later, and TCP hands that path
# unsplit GSO packets anyway. An nft quota a little above one segment's size, on a rule
# matching only the large segments (or the SYN) of one connection (fixed client port), drops
# exactly that connection's first such packet.
R nft -f - <<'EOF'
table inet fcloss {
    chain relay {
        type filter hook forward priority 0;
        ip saddr 10.78.3.2 tcp sport 8000 tcp dport 45001 ip length > 1000 quota until 1600 bytes drop
        ip daddr 10.78.3.2 tcp dport 8000 tcp sport 45003 ip length > 1000 quota until 1600 bytes drop
        ip daddr 10.78.3.2 tcp dport 8000 tcp sport 45004 tcp flags & (syn|ack) == syn quota until 100 bytes drop
    }
}
EOF
A nft -f - <<'EOF'
table inet fcloss {
    chain in {
        type filter hook input priority 0;
        tcp sport 8000 tcp dport 45002 ip length > 1000 quota until 1600 bytes drop
    }
}
EOF
R ip neigh flush all
capture loss.pcap fca2 60
L=http://10.78.3.2:8000
phase "GET /bulk.bin from port 45001: server's first full segment lost in fcR, before the capture point (sequence gap, SACK, retransmission)"
c -o /dev/null --local-port 45001 $L/bulk.bin
phase "GET /bulk.bin from port 45002: server's first full segment captured, then dropped by the client's input (seen twice)"
c -o /dev/null --local-port 45002 $L/bulk.bin
phase "POST /upload 40000 bytes from port 45003: client's first full segment captured, then lost in fcR (seen twice)"
c -o /dev/null --local-port 45003 -H 'Expect:' --data-binary @"$WORK/upload.bin" $L/upload
phase "GET /small.txt from port 45004: first SYN lost in fcR (SYN retransmitted after 1 s)"
c -o /dev/null --local-port 45004 $L/small.txt
phase "GET /bulk.bin from port 45005: no loss"
c -o /dev/null --local-port 45005 $L/bulk.bin
stop_capture
phase "end"
A nft delete table inet fcloss
R nft delete table inet fcloss

# --- ftp.pcap --------------------------------------------------------------------------------
capture ftp.pcap fca0 60
phase "ftplib: login alice, PWD, passive LIST, passive RETR report.csv (24000 bytes), active STOR upload.bin (12000 bytes), active LIST, QUIT"
A "$PY" - "$WORK/ftp-upload.bin" <<'EOF'
import ftplib, sys
f = ftplib.FTP()
f.connect("10.78.0.2", 21, timeout=10)
f.login("alice", "s3cret-pw")
f.pwd()
f.set_pasv(True)
f.retrlines("LIST", lambda l: None)
f.retrbinary("RETR report.csv", lambda b: None)
f.set_pasv(False)
with open(sys.argv[1], "rb") as fh:
    f.storbinary("STOR upload.bin", fh)
f.retrlines("LIST", lambda l: None)
f.quit()
EOF
phase "ftplib: failed login (wrong password -> 530), QUIT"
A "$PY" - <<'EOF'
import ftplib
f = ftplib.FTP()
f.connect("10.78.0.2", 21, timeout=10)
try:
    f.login("alice", "wrong-password")
except ftplib.error_perm:
    pass
f.quit()
EOF
phase "curl: RETR readme.txt, passive (EPSV)"
c -o /dev/null ftp://alice:s3cret-pw@10.78.0.2/readme.txt
phase "curl: RETR readme.txt, active (EPRT/PORT)"
c -o /dev/null --ftp-port 10.78.0.1 ftp://alice:s3cret-pw@10.78.0.2/readme.txt
stop_capture
phase "end"
rm -f "$WORK/ftp/upload.bin"

# --- dns-udp.pcap ----------------------------------------------------------------------------
B nft -f - <<'EOF'
table inet fcdrop {
    chain in {
        type filter hook input priority 0;
        udp dport 9998 drop
    }
}
EOF
udp_send() { # dst port count src-port: one-way datagrams 0.3 s apart
    A "$PY" - "$@" <<'EOF'
import socket, sys, time
dst, port, count, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("::" if ":" in dst else "0.0.0.0", sport))
for i in range(count):
    if i:
        time.sleep(0.3)
    s.sendto(b"one-way datagram %d" % i, (dst, port))
EOF
}
D() { A dig +time=2 +tries=1 "$@" >/dev/null || true; }
capture dns-udp.pcap fca0 60
phase "dig A www.flow.test, AAAA www.flow.test, MX flow.test, TXT info.flow.test, A files.flow.test (CNAME), PTR 10.78.0.2"
D @10.78.0.2 www.flow.test A
D @10.78.0.2 www.flow.test AAAA
D @10.78.0.2 flow.test MX
D @10.78.0.2 info.flow.test TXT
D @10.78.0.2 files.flow.test A
D @10.78.0.2 -x 10.78.0.2
phase "dig NXDOMAIN: nope.flow.test, missing.flow.test AAAA; outside the zone with no upstream: example.com"
D @10.78.0.2 nope.flow.test A
D @10.78.0.2 missing.flow.test AAAA
D @10.78.0.2 example.com A
phase "dig over TCP: +tcp A ftp.flow.test"
D @10.78.0.2 +tcp ftp.flow.test A
phase "dig over IPv6: @fd78::2 AAAA client.flow.test"
D @fd78::2 client.flow.test AAAA
phase "udp 40100->10.78.0.2:9999 x3, closed port (ICMP port unreachable)"
udp_send 10.78.0.2 9999 3 40100
phase "udp 40101->10.78.0.2:9998 x3, dropped by the server's firewall (no answer)"
udp_send 10.78.0.2 9998 3 40101
phase "udp6 40102->[fd78::2]:9999 x2, closed port (ICMPv6 port unreachable)"
udp_send fd78::2 9999 2 40102
phase "ping -c 3 10.78.0.2"
A ping -n -q -c 3 -i 0.3 -W 1 10.78.0.2 >/dev/null
phase "ping -6 -c 3 fd78::2"
A ping -6 -n -q -c 3 -i 0.3 -W 1 fd78::2 >/dev/null
stop_capture
phase "end"
B nft delete table inet fcdrop

# --- scan.pcap -------------------------------------------------------------------------------
capture scan.pcap fca0 60
phase "nmap -sS -Pn -n -p 1-200 --max-rate 500 10.78.0.2 (open: 21 ftp, 22, 53 dnsmasq, 80)"
A timeout 60 nmap -sS -Pn -n -p 1-200 --max-rate 500 --max-retries 1 10.78.0.2 >"$WORK/nmap-sS.txt"
sleep 0.5
phase "nmap -sT -Pn -n -p 21,22,23,80,443,7000 10.78.0.2 (connect scan)"
A timeout 60 nmap -sT -Pn -n -p 21,22,23,80,443,7000 --max-retries 1 10.78.0.2 >"$WORK/nmap-sT.txt"
sleep 0.5
phase "tcp 44000->7000: 3 echoed messages, then the client resets (SO_LINGER 0)"
A "$PY" - <<'EOF'
import socket, struct, time
s = socket.create_connection(("10.78.0.2", 7000), 5, source_address=("10.78.0.1", 44000))
for i in range(3):
    s.sendall(b"message %d before the reset\n" % i)
    s.recv(256)
    time.sleep(0.1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
EOF
phase "tcp 44001->7001: one message, the server answers and resets"
A "$PY" - <<'EOF'
import socket
s = socket.create_connection(("10.78.0.2", 7001), 5, source_address=("10.78.0.1", 44001))
s.sendall(b"hello, please reset me\n")
try:
    while s.recv(256):
        pass
except ConnectionResetError:
    pass
s.close()
EOF
stop_capture
phase "end"
sed 's/^/    /' "$WORK/nmap-sS.txt" | grep -E '^ +[0-9]+/tcp|Not shown' >&2 || true

# --- offload.pcap: segmentation offloads left on ---------------------------------------------
offloads 0 on
capture offload.pcap fca0 60
phase "offloads on: GET /offload.bin (200000 bytes)"
c -o /dev/null $S/offload.bin
stop_capture
phase "end"
offloads 0 off

# --- wait for long.pcap ----------------------------------------------------------------------
log "long.pcap: waiting for its traffic to end"
wait "$LONG_PID" || true
stop_capture "$LONG_CAP"
CUR=long.pcap
phase "end"

# --- readings --------------------------------------------------------------------------------
CAPTURES=(http.pcap loss.pcap ftp.pcap dns-udp.pcap scan.pcap long.pcap offload.pcap)
FIELDS="stime ltime saddr sport daddr dport proto state dur spkts dpkts sbytes dbytes rate sload \
dload sloss dloss sintpkt dintpkt sjit djit swin dwin stcpb dtcpb tcprtt synack ackdat smeansz \
dmeansz sttl dttl"
for name in "${CAPTURES[@]}"; do
    tcpdump -r "$OUT/$name" -nn -tt -v >"$OUT/$name.txt" 2>/dev/null
    if [ "$HAVE_ARGUS" = 1 ]; then
        argus -X -J -R -A -U 128 -S 60 -r "$OUT/$name" -w "$WORK/tmp.argus"
        # shellcheck disable=SC2086
        ra -r "$WORK/tmp.argus" -n -u -p 6 -c , -L 0 -s $FIELDS - ip >"$OUT/$name.argus.csv"
        rm -f "$WORK/tmp.argus"
    fi
done

# --- README.md -------------------------------------------------------------------------------
{
    cat <<'EOF'
# Flow captures

Made by `scripts/make-flow-captures.sh` (run it as root to remake them; every value changes).
Network namespaces fcA (clients: 10.78.0.1 / fd78::1; 10.78.1.1 / fd78:1::1 for long.pcap;
10.78.2.1 for loss.pcap) and fcB (servers: 10.78.0.2 / fd78::2, 10.78.1.2 / fd78:1::2, and
10.78.3.2 behind the router namespace fcR for loss.pcap), joined by veth pairs; each capture
is tcpdump on the client's veth (Ethernet, full snap length). Segmentation offloads (TSO,
GSO, GRO) are off except in offload.pcap. Transmit checksum offload stays on, so packets sent
from a namespace's own stack over a veth carry unfinished checksums (tcpdump -v: "incorrect").

Beside each capture:
- `<name>.txt`: `tcpdump -r <name> -nn -tt -v`, the independent reading;
- `<name>.phases`: epoch time (when the step started) and what the step sent;
- `<name>.argus.csv`: Argus's records of it, made by
  `argus -X -J -R -A -U 128 -S 60 -r <name> -w tmp.argus` and
  `ra -r tmp.argus -n -u -p 6 -c , -L 0 -s stime ltime saddr sport daddr dport proto state dur spkts dpkts sbytes dbytes rate sload dload sloss dloss sintpkt dintpkt sjit djit swin dwin stcpb dtcpb tcprtt synack ackdat smeansz dmeansz sttl dttl - ip`
  (`- ip` keeps IPv4 and IPv6 records and leaves out ARP and Argus's management records).

| capture | what it holds |
| --- | --- |
| http.pcap | HTTP/1.1 (Python http.server, port 8000) and curl: single GETs, one keep-alive connection with four requests, a POST with `Expect: 100-continue` and a small form POST (201), a 404 (server closes first), a HEAD, an HTTP/1.0 GET, a GET over IPv6, a connection refused (RST) on port 8080 |
| loss.pcap | HTTP through the router namespace fcR (server 10.78.3.2, one hop away: its TTL arrives as 63), each transfer with exactly one packet dropped by an nft quota rule: a download segment lost in fcR, before the capture point (sequence gap, SACK, then the retransmission), a download segment dropped by the client after the capture point (seen twice), an upload segment lost in fcR (seen twice), a SYN lost in fcR (retransmitted after 1 s), and one download without loss |
| ftp.pcap | FTP (pyftpdlib, port 21): login, PWD, passive LIST and RETR (PASV), active STOR and LIST (PORT; the server connects back), a failed login (530), curl RETR passive (EPSV) and active (EPRT) |
| dns-udp.pcap | DNS (dnsmasq, dig): A, AAAA, MX, TXT, CNAME, PTR answers, NXDOMAIN, a refused query outside the zone, one query over TCP, one over IPv6; one-way UDP to a closed port (ICMP port unreachable), one-way UDP dropped by the server's firewall (no answer), one-way UDP over IPv6 to a closed port (ICMPv6 unreachable); ping -c 3 over IPv4 and IPv6 |
| scan.pcap | nmap SYN scan of ports 1-200 (open: 21, 22, 53, 80; the client's kernel answers the SYN/ACKs with RST; the rest RST/ACK), nmap connect scan of six ports, a TCP echo connection reset by the client mid-stream (SO_LINGER 0), a connection reset by the server after its answer |
| long.pcap | on the second veth pair: a TCP connection with a message every 10 s for 130 s, a TCP connection idle for 65 s between two messages, UDP with a 35 s gap, UDP every 10 s for 120 s, UDP over IPv6 with a 40 s gap, ping every 10 s for 70 s |
| offload.pcap | offloads on: one curl download of 200000 bytes; the receiving veth sees the server's segments unsplit, many frames far larger than the 1500-byte MTU |

## Files
EOF
    echo
    echo '| capture | bytes | packets | argus records |'
    echo '| --- | --- | --- | --- |'
    for name in "${CAPTURES[@]}"; do
        size=$(stat -c %s "$OUT/$name")
        pkts=$(tcpdump -r "$OUT/$name" -nn 2>/dev/null | wc -l)
        recs=-
        if [ -f "$OUT/$name.argus.csv" ]; then recs=$(($(wc -l <"$OUT/$name.argus.csv") - 1)); fi
        echo "| $name | $size | $pkts | $recs |"
    done
    echo
    echo '## Made with'
    echo
    sed 's/^/- /' "$WORK/versions.txt"
} >"$OUT/README.md"

# tcpdump ran as root (-Z root); give the files the folder's owner all the same.
chown --reference="$OUT" "$OUT"/*
chmod 644 "$OUT"/*
sed -n '/^## Files/,$p' "$OUT/README.md" >&2
