#!/usr/bin/env bash
# Makes one labelled capture of normal and attack traffic, attack.pcap, for anomaly-cli's
# end-to-end detection test, with attack.phases.json beside it: when each phase ran, from which
# address, with which tool and command, and its UNSW-NB15 category.
#
# Traffic runs only between network namespaces this script creates: faN (the normal client,
# 10.79.0.10), faX (the attacker, 10.79.0.66) and faS (the servers, 10.79.0.2), each joined by a
# veth pair to a Linux bridge in a fourth namespace, the switch faW (no address of its own).
# IPv6 is off everywhere, so the capture holds IPv4 and ARP only. The capture is tcpdump on the
# server's veth, fas0 (Ethernet, full snap length, pcap), which sees every packet to or from
# the server exactly once. Segmentation and transmit checksum offloads are off on every veth,
# so frames are at most 1514 bytes and carry real checksums, as on a wire. Every background
# process runs under `timeout`, every loop is bounded in count and time, and the namespaces are
# removed on exit, error or not. Runs in about three minutes.
#
# Phases, in order, separated by quiet gaps of two seconds: normal-1 (~30 s of a user: curl
# pages and downloads, dig lookups, an FTP session), syn-scan (nmap -sS), normal-2, udp-scan
# (nmap -sU), service-probe (nmap -sV), normal-3, ftp-brute-force (hydra), http-admin-probe
# (dirb), syn-flood (hping3), normal-4.
#
# Needs root and: iproute2, tcpdump, curl, python3 with pyftpdlib, nmap, hping3, dig, dnsmasq,
# ethtool. Debian: apt-get install iproute2 tcpdump curl nmap hping3 bind9-dnsutils \
# dnsmasq-base ethtool hydra dirb; PyPI: pip install pyftpdlib. hydra and dirb are optional:
# without hydra the brute force is a python ftplib loop, without dirb the admin probe is nikto
# (if installed) or a curl loop; attack.phases.json names the tool that ran.
#
# Usage: sudo scripts/make-attack-capture.sh [output-dir]
#   (default crates/anomaly-cli/tests/fixtures/attack/)
# Writes attack.pcap, attack.phases.json and README.md (what the capture holds, packets per
# phase, tool versions). Re-running changes ports, sequence numbers, timestamps and counts.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../crates/anomaly-cli/tests/fixtures/attack}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()
NAMESPACES=(faN faX faS faW)

SERVER=10.79.0.2
CLIENT=10.79.0.10
ATTACKER=10.79.0.66
FTP_USER=alice
FTP_PASS=Blue-Harbour-79

# shellcheck source=lib/netns-lab.sh
. "$HERE/lib/netns-lab.sh"
lab_require "apt-get install iproute2 tcpdump curl nmap hping3 bind9-dnsutils dnsmasq-base ethtool hydra dirb" \
    ip tcpdump curl python3 nmap hping3 dig dnsmasq ethtool
HAVE_HYDRA=0
HAVE_DIRB=0
HAVE_NIKTO=0
command -v hydra >/dev/null && HAVE_HYDRA=1
command -v dirb >/dev/null && HAVE_DIRB=1
command -v nikto >/dev/null && HAVE_NIKTO=1
[ "$HAVE_HYDRA" = 1 ] || echo "note: no hydra (apt-get install hydra): the brute force is a python ftplib loop" >&2
[ "$HAVE_DIRB" = 1 ] || echo "note: no dirb (apt-get install dirb): the admin probe is nikto or a curl loop" >&2

trap lab_cleanup EXIT

N() { ip netns exec faN "$@"; }
X() { ip netns exec faX "$@"; }
S() { ip netns exec faS "$@"; }
W() { ip netns exec faW "$@"; }

# --- tool versions ---------------------------------------------------------------------------
V_CURL=$(curl --version | head -1 | awk '{print $2}')
V_DIG=$(dig -v 2>&1 | awk '{print $2}' | cut -d- -f1)
V_PY=$("$PY" -c 'import platform; print(platform.python_version())')
V_NMAP=$(nmap --version | head -1 | awk '{print $3}')
V_HPING=$(hping3 --version 2>&1 | head -1 | awk '{print $3}' || true)
V_HYDRA=-
V_DIRB=-
V_NIKTO=-
[ "$HAVE_HYDRA" = 1 ] && V_HYDRA=$(hydra -h 2>&1 | head -1 | awk '{print $2}' | sed 's/^v//' || true)
[ "$HAVE_DIRB" = 1 ] && V_DIRB=$(dirb 2>&1 | sed -n 's/^DIRB v\([^ ]*\).*/\1/p' | head -1 || true)
[ "$HAVE_NIKTO" = 1 ] && V_NIKTO=$(nikto -Version 2>&1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1 || true)
versions() {
    lab_versions
    echo "curl: $V_CURL"
    echo "dig: $(dig -v 2>&1 | awk '{print $2}')"
    echo "dnsmasq: $(dnsmasq --version | head -1 | awk '{print $3}')"
    echo "nmap: $V_NMAP"
    echo "hping3: $V_HPING"
    [ "$HAVE_HYDRA" = 1 ] && echo "hydra: $V_HYDRA"
    [ "$HAVE_DIRB" = 1 ] && echo "dirb: $V_DIRB"
    [ "$HAVE_DIRB" = 0 ] && [ "$HAVE_NIKTO" = 1 ] && echo "nikto: $V_NIKTO"
    echo "ethtool: $(ethtool --version | awk '{print $3}')"
    echo "iproute2: $(ip -V | grep -oE 'iproute2-[^ ,]+' | cut -d- -f2)"
}
lab_record_versions

# --- the four namespaces ---------------------------------------------------------------------
lab_remove_namespaces
for ns in "${NAMESPACES[@]}"; do
    ip netns add "$ns"
    # IPv4 only: no router solicitations, MLD reports or other IPv6 chatter in the capture.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" ip link set lo up
done
W ip link add faw0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
noffload() { # ns dev: segmentation, receive coalescing and transmit checksum offloads off
    ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}
noffload faW faw0
# host namespace, its veth, its port on the bridge, its address, its MAC
for spec in "faS fas0 fws0 $SERVER 02:79:00:00:00:02" "faN fan0 fwn0 $CLIENT 02:79:00:00:00:0a" \
    "faX fax0 fwx0 $ATTACKER 02:79:00:00:00:42"; do
    read -r ns dev port addr mac <<<"$spec"
    ip link add "$dev" netns "$ns" address "$mac" type veth peer name "$port" netns faW
    ip netns exec "$ns" ip addr add "$addr/24" dev "$dev"
    noffload "$ns" "$dev"
    noffload faW "$port"
    W ip link set "$port" master faw0
    W ip link set "$port" up
    ip netns exec "$ns" ip link set "$dev" up
done
W ip link set faw0 up

# --- content (all served from faS) -----------------------------------------------------------
mkdir -p "$WORK/www" "$WORK/ftp"
"$PY" - "$WORK" "$FTP_PASS" <<'EOF'
import os, random, sys
w, right = sys.argv[1], sys.argv[2]
rnd = random.Random(79)
def text(n, tag):
    lines, size = [], 0
    while size < n:
        l = "%s %05d %s\n" % (tag, len(lines), " ".join(
            "".join(rnd.choice("abcdefghijklmnop") for _ in range(rnd.randint(3, 9))) for _ in range(8)))
        lines.append(l); size += len(l)
    return "".join(lines)[:n]
def put(rel, data):
    p = os.path.join(w, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(data.encode() if isinstance(data, str) else data)
put("www/index.html", "<html><head><title>Corp intranet</title><link rel=stylesheet href=style.css>"
    "</head><body><img src=logo.png><h1>Intranet</h1><p>" + text(2000, "news") + "</p></body></html>\n")
put("www/news.html", "<html><body><pre>" + text(8000, "item") + "</pre></body></html>\n")
put("www/style.css", text(4000, "/* css */"))
put("www/logo.png", rnd.randbytes(12000))
put("www/robots.txt", "User-agent: *\nDisallow: /private/\n")
put("www/docs/manual.pdf", rnd.randbytes(150000))
put("www/docs/report.pdf", rnd.randbytes(60000))
put("www/docs/notes.txt", text(3000, "note"))
put("www/data/export.csv", text(40000, "row"))
put("www/data/summary.json", '{"rows": %d, "text": "%s"}\n' % (1234, text(2500, "s").replace("\n", " ")))
put("ftp/readme.txt", text(1500, "readme"))
put("ftp/reports/q1.csv", text(30000, "q1"))
put("ftp/reports/q2.csv", text(22000, "q2"))
put("ftp/pub/tools.tar.gz", rnd.randbytes(80000))
# ~200 wrong passwords, the kind a brute-force wordlist starts with, then the right one.
base = ["123456", "password", "12345678", "qwerty", "123456789", "12345", "1234", "111111",
        "1234567", "dragon", "123123", "baseball", "abc123", "football", "monkey", "letmein",
        "696969", "shadow", "master", "666666", "qwertyuiop", "123321", "mustang", "1234567890",
        "michael", "654321", "superman", "1qaz2wsx", "7777777", "121212", "000000", "qazwsx",
        "123qwe", "killer", "trustno1", "jordan", "jennifer", "zxcvbnm", "asdfgh", "hunter",
        "buster", "soccer", "harley", "batman", "andrew", "tigger", "sunshine", "iloveyou",
        "2000", "charlie", "robert", "thomas", "hockey", "ranger", "daniel", "starwars",
        "klaster", "112233", "george", "computer", "michelle", "jessica", "pepper", "1111",
        "zxcvbn", "555555", "11111111", "131313", "freedom", "777777", "pass", "maggie",
        "159753", "aaaaaa", "ginger", "princess", "joshua", "cheese", "amanda", "summer",
        "love", "ashley", "nicole", "chelsea", "biteme", "matthew", "access", "yankees",
        "987654321", "dallas", "austin", "thunder", "taylor", "matrix", "admin", "ftp",
        "alice", "welcome", "changeme", "secret"]
words = list(base)
for suffix in ("1", "!", "2023", "2024"):
    for b in base[:26]:
        words.append(b + suffix)
words = [x for x in dict.fromkeys(words) if x != right][:200]
open(os.path.join(w, "passwords.txt"), "w").write("\n".join(words + [right]) + "\n")
# ~150 admin and sensitive paths, as a web-content scanner's small list holds.
paths = """admin administrator admin.php admin.html admin/login admin/index.php adminpanel admin1
admin2 admin_area admincp admincontrol adm backend cpanel controlpanel dashboard manage
management manager manager/html moderator panel siteadmin sysadmin webadmin wp-admin
wp-admin/admin-ajax.php wp-login.php wp-content wp-includes wp-config.php wp-config.php.bak
xmlrpc.php phpmyadmin phpMyAdmin pma myadmin mysql mysqladmin dbadmin db sql phpinfo.php
info.php test.php server-status server-info .git .git/HEAD .git/config .gitignore .svn
.svn/entries .hg .env .env.bak .htaccess .htpasswd .DS_Store .bash_history .ssh id_rsa
config config.php config.inc.php configuration.php settings.php web.config backup backups
backup.zip backup.tar.gz backup.sql db.sql dump.sql database.sql site.tar.gz www.zip old
old_site bak tmp temp test tests dev staging beta private secret hidden logs log error_log
debug console shell cmd cgi-bin cgi-bin/test.cgi scripts includes inc lib vendor composer.json
package.json node_modules api api/v1 api/v2 swagger swagger.json graphql actuator
actuator/health jenkins solr druid axis2 struts user users login login.php signin register
account accounts auth oauth portal intranet webmail mail roundcube owa upload uploads files
filemanager images static assets install setup update upgrade readme.html license.txt
CHANGELOG.txt crossdomain.xml sitemap.xml robots.txt index.html docs data""".split()
open(os.path.join(w, "admin-paths.txt"), "w").write("\n".join(paths) + "\n")
EOF
log "wordlists: $(wc -l <"$WORK/passwords.txt") passwords (the right one last), $(wc -l <"$WORK/admin-paths.txt") admin paths"

# --- servers (all in faS) --------------------------------------------------------------------
# HTTP/1.1 (keep-alive) file server on port 80: files or 404 (Python http.server).
cat >"$WORK/httpd.py" <<'EOF'
import http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
class Srv(http.server.ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True
root = sys.argv[2]
Srv((sys.argv[1], 80), lambda *a: H(*a, directory=root)).serve_forever()
EOF
ip netns exec faS timeout 300 "$PY" "$WORK/httpd.py" "$SERVER" "$WORK/www" >"$WORK/httpd.log" 2>&1 &
PIDS+=($!)

# FTP with a real login (pyftpdlib), passive data ports 60000-60019; a failed login is answered
# after 0.3 s (pyftpdlib's default is 3 s), and the third failure on a connection closes it.
cat >"$WORK/ftpd.py" <<'EOF'
import logging, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
a = DummyAuthorizer()
a.add_user(sys.argv[2], sys.argv[3], sys.argv[4], perm="elr")
FTPHandler.authorizer = a
FTPHandler.banner = "corp.test FTP server ready."
FTPHandler.passive_ports = range(60000, 60020)
FTPHandler.auth_failed_timeout = 0.3
FTPHandler.max_login_attempts = 3
FTPServer((sys.argv[1], 21), FTPHandler).serve_forever()
EOF
ip netns exec faS timeout 300 "$PY" "$WORK/ftpd.py" "$SERVER" "$FTP_USER" "$FTP_PASS" "$WORK/ftp" >"$WORK/ftpd.log" 2>&1 &
PIDS+=($!)

# DNS: dnsmasq answering for corp.test only (NXDOMAIN for the rest of corp.test; no upstream).
ip netns exec faS timeout 300 dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --pid-file= --user=root --bind-interfaces --listen-address=$SERVER --port=53 \
    --local=/corp.test/ --domain=corp.test \
    --host-record=www.corp.test,$SERVER --host-record=ftp.corp.test,$SERVER \
    --host-record=mail.corp.test,$SERVER --host-record=intranet.corp.test,$SERVER \
    --host-record=client.corp.test,$CLIENT --cname=files.corp.test,ftp.corp.test \
    --cname=docs.corp.test,www.corp.test --mx-host=corp.test,mail.corp.test,10 \
    '--txt-record=corp.test,v=spf1 mx -all' \
    --log-queries --log-facility=- >"$WORK/dnsmasq.log" 2>&1 &
PIDS+=($!)

# More open TCP ports for the scans to find: SSH-like banner on 22, a small SMTP dialogue on 25,
# a POP3 banner on 110.
cat >"$WORK/services.py" <<'EOF'
import socket, sys, threading
ADDR = sys.argv[1]
def serve(port, handle):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ADDR, port)); s.listen(128)
    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=guard, args=(handle, c), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
def guard(handle, c):
    try:
        c.settimeout(5)
        handle(c)
    except OSError:
        pass
    finally:
        c.close()
def ssh(c):
    c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
    c.recv(256)
def smtp(c):
    c.sendall(b"220 mail.corp.test ESMTP Postfix (Debian/GNU)\r\n")
    f = c.makefile("rb")
    for _ in range(20):
        line = f.readline(512)
        if not line:
            return
        cmd = line.strip().split(b" ")[0].upper()
        if cmd in (b"EHLO", b"HELO"):
            c.sendall(b"250-mail.corp.test\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n")
        elif cmd == b"QUIT":
            c.sendall(b"221 2.0.0 Bye\r\n"); return
        elif cmd in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            c.sendall(b"250 2.0.0 Ok\r\n")
        else:
            c.sendall(b"502 5.5.2 Error: command not recognized\r\n")
def pop3(c):
    c.sendall(b"+OK Dovecot (Debian) ready.\r\n")
    c.recv(256)
    c.sendall(b"-ERR Unknown command.\r\n")
serve(22, ssh); serve(25, smtp); serve(110, pop3)
threading.Event().wait()
EOF
ip netns exec faS timeout 300 "$PY" "$WORK/services.py" "$SERVER" >"$WORK/services.log" 2>&1 &
PIDS+=($!)

ready=0
for _ in $(seq 100); do
    if N curl -s -o /dev/null --max-time 2 "http://$SERVER/index.html" \
        && N dig +short +time=1 +tries=1 @"$SERVER" www.corp.test | grep -q "$SERVER" \
        && N "$PY" -c 'import socket, sys; [socket.create_connection((sys.argv[1], p), 1).close() for p in (21, 22, 25, 110)]' \
            "$SERVER" 2>/dev/null; then
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
# The normal client's FTP session (python ftplib): login, PWD, LIST, CWD, LIST, RETR, QUIT.
cat >"$WORK/ftp-session.py" <<'EOF'
import ftplib, posixpath, sys
host, user, password, path = sys.argv[1:5]
f = ftplib.FTP()
f.connect(host, 21, timeout=10)
f.login(user, password)
f.pwd()
f.retrlines("LIST", lambda l: None)
d = posixpath.dirname(path)
if d:
    f.cwd(d)
    f.retrlines("LIST", lambda l: None)
f.retrbinary("RETR " + posixpath.basename(path), lambda b: None)
f.quit()
EOF
# The brute force without hydra: one login per password, a new connection every 3 attempts.
cat >"$WORK/ftp-brute.py" <<'EOF'
import ftplib, sys, time
host, user, wordlist = sys.argv[1:4]
words = [w.strip() for w in open(wordlist) if w.strip()][:400]
deadline = time.time() + 80
f = None
for i, w in enumerate(words):
    if time.time() > deadline:
        break
    if f is None:
        f = ftplib.FTP(); f.connect(host, 21, timeout=10)
    try:
        f.login(user, w)
        print("found:", w); f.quit(); break
    except ftplib.error_perm:
        pass
    except (OSError, EOFError, ftplib.Error):
        f = None; continue
    if i % 3 == 2:
        try: f.close()
        except OSError: pass
        f = None
EOF
cd "$WORK"
# Start the capture from cold neighbour caches: the first phase's ARP is in it.
for ns in faN faX faS; do ip netns exec "$ns" ip neigh flush all; done
sleep 0.5

# --- capture ---------------------------------------------------------------------------------
rm -f "$OUT/attack.pcap" "$OUT/attack.phases.json"
ip netns exec faS timeout 280 tcpdump -U --immediate-mode -n -Z root -s 0 -y EN10MB -i fas0 \
    -w "$OUT/attack.pcap" 2>"$WORK/tcpdump.log" &
CAP_PID=$!
PIDS+=("$CAP_PID")
for _ in $(seq 100); do grep -q "listening on" "$WORK/tcpdump.log" && break; sleep 0.05; done
sleep 1

# --- phase bookkeeping -----------------------------------------------------------------------
# phases.tsv: index name kind category tool source start end; cmds.<index>: the commands run.
PHASE=0
begin() { # name kind category tool source
    PHASE=$((PHASE + 1))
    P_NAME=$1 P_KIND=$2 P_CAT=$3 P_TOOL=$4 P_SRC=$5
    : >"$WORK/cmds.$PHASE"
    log "phase $PHASE: $P_NAME ($P_KIND${P_CAT:+, $P_CAT}) from $P_SRC"
    P_START=$(date +%s.%N)
}
end() {
    local t
    t=$(date +%s.%N)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$PHASE" "$P_NAME" "$P_KIND" "${P_CAT:--}" "$P_TOOL" \
        "$P_SRC" "$P_START" "$t" >>"$WORK/phases.tsv"
    log "phase $PHASE: $P_NAME done, $(awk -v a="$P_START" -v b="$t" 'BEGIN { printf "%.1f", b - a }') s"
    sleep 2 # a quiet gap, so late packets of one phase do not land in the next one's window
}
record() { # the exact command line (shell-quoted where needed), python3 for the interpreter
    local a line="" q="'"
    for a in "$@"; do
        [ "$a" = "$PY" ] && a=python3
        if [[ ! $a =~ ^[A-Za-z0-9_./:@%+=,-]+$ ]]; then a="'${a//$q/$q\\$q$q}'"; fi
        line+="${line:+ }$a"
    done
    printf '%s\n' "$line" >>"$WORK/cmds.$PHASE"
}
run() { # ns command...: records the command and runs it in the namespace
    local ns=$1
    shift
    record "$@"
    ip netns exec "$ns" "$@"
}

# --- the normal user -------------------------------------------------------------------------
PAGES=(index.html news.html docs/notes.txt data/summary.json robots.txt)
FILES=(docs/manual.pdf docs/report.pdf data/export.csv logo.png news.html)
FTP_FILES=(readme.txt reports/q1.csv reports/q2.csv pub/tools.tar.gz)
NAMES=("www.corp.test A" "ftp.corp.test A" "mail.corp.test A" "corp.test MX" "corp.test TXT"
    "files.corp.test A" "docs.corp.test A" "intranet.corp.test A" "printer.corp.test A"
    "client.corp.test A")
u_dns() {
    local q
    q=${NAMES[RANDOM % ${#NAMES[@]}]}
    # shellcheck disable=SC2086
    run faN dig +time=2 +tries=1 @"$SERVER" $q >/dev/null || true
}
u_page() { # a page and its parts on one keep-alive connection, favicon.ico a 404
    local p=${PAGES[RANDOM % ${#PAGES[@]}]}
    if [ "$p" = index.html ] || [ $((RANDOM % 2)) = 0 ]; then
        run faN curl -s --max-time 10 -o /dev/null "http://$SERVER/index.html" -o /dev/null \
            "http://$SERVER/style.css" -o /dev/null "http://$SERVER/logo.png" -o /dev/null \
            "http://$SERVER/favicon.ico" || true
    else
        run faN curl -s --max-time 10 -o /dev/null "http://$SERVER/$p" || true
    fi
}
u_download() {
    local f=${FILES[RANDOM % ${#FILES[@]}]}
    if [ $((RANDOM % 3)) = 0 ]; then # two on one connection
        local g=${FILES[RANDOM % ${#FILES[@]}]}
        run faN curl -s --max-time 15 -o /dev/null "http://$SERVER/$f" -o /dev/null "http://$SERVER/$g" || true
    else
        run faN curl -s --max-time 15 -o /dev/null "http://$SERVER/$f" || true
    fi
}
u_ftp() {
    local f=${FTP_FILES[RANDOM % ${#FTP_FILES[@]}]}
    run faN timeout 20 "$PY" ftp-session.py "$SERVER" "$FTP_USER" "$FTP_PASS" "$f" || true
}
u_ftp_curl() {
    local f=${FTP_FILES[RANDOM % ${#FTP_FILES[@]}]}
    run faN curl -s --max-time 15 -o /dev/null "ftp://$FTP_USER:$FTP_PASS@$SERVER/$f" || true
}
think() { # 0.3 to 3.0 s
    local t=$((RANDOM % 28 + 3))
    sleep "$((t / 10)).$((t % 10))"
}
normal() { # name seconds seed: a user's session of about that long
    local name=$1 secs=$2 t0 i
    RANDOM=$3
    begin "$name" normal "" "curl $V_CURL, dig $V_DIG, python3 $V_PY ftplib" "$CLIENT"
    t0=$(date +%s)
    # A fixed start (look up, browse, download, FTP session), then random steps until the time
    # is up; at most 40 steps.
    local steps=(u_dns u_page u_download u_dns u_ftp u_page u_download)
    for i in $(seq 40); do
        if [ "$i" -le "${#steps[@]}" ]; then
            "${steps[i - 1]}"
        else
            case $((RANDOM % 10)) in
                0 | 1 | 2) u_dns ;;
                3 | 4 | 5) u_page ;;
                6 | 7) u_download ;;
                8) u_ftp_curl ;;
                9) u_ftp ;;
            esac
        fi
        [ $(($(date +%s) - t0)) -lt $((secs - 2)) ] || break
        think
    done
    end
}

# --- the phases ------------------------------------------------------------------------------
normal normal-1 30 101

begin syn-scan attack Reconnaissance "nmap $V_NMAP" "$ATTACKER"
run faX timeout 90 nmap -sS -T4 -Pn -n --top-ports 1000 -oG nmap-syn.gnmap "$SERVER" >nmap-syn.txt || true
end
OPEN=$(grep -o '[0-9]*/open/tcp' nmap-syn.gnmap | cut -d/ -f1 | paste -sd, || true)
log "open TCP ports: ${OPEN:-none found}"
[ -n "$OPEN" ] || OPEN=21,22,25,53,80,110

normal normal-2 20 202

begin udp-scan attack Reconnaissance "nmap $V_NMAP" "$ATTACKER"
run faX timeout 100 nmap -sU --top-ports 100 -T4 -Pn -n --max-retries 1 "$SERVER" >nmap-udp.txt || true
end

begin service-probe attack Reconnaissance "nmap $V_NMAP" "$ATTACKER"
run faX timeout 100 nmap -sV -Pn -n -p "$OPEN" "$SERVER" >nmap-sv.txt || true
end

normal normal-3 20 303

BRUTE_DESC="a python ftplib loop"
PROBE_DESC="a curl loop"
if [ "$HAVE_HYDRA" = 1 ]; then
    BRUTE_DESC="hydra, 4 tasks"
    begin ftp-brute-force attack Exploits "hydra $V_HYDRA" "$ATTACKER"
    run faX timeout 120 hydra -l "$FTP_USER" -P passwords.txt -t 4 -f -I -o hydra.out \
        "ftp://$SERVER" >hydra.txt 2>&1 || true
else
    begin ftp-brute-force attack Exploits "python3 $V_PY ftplib loop" "$ATTACKER"
    run faX timeout 100 "$PY" ftp-brute.py "$SERVER" "$FTP_USER" passwords.txt >hydra.txt 2>&1 || true
fi
end

if [ "$HAVE_DIRB" = 1 ]; then
    PROBE_DESC=dirb
    begin http-admin-probe attack Reconnaissance "dirb $V_DIRB" "$ATTACKER"
    run faX timeout 90 dirb "http://$SERVER/" admin-paths.txt -r -S -z 10 -o dirb.out \
        </dev/null >dirb.txt 2>&1 || true
elif [ "$HAVE_NIKTO" = 1 ]; then
    PROBE_DESC=nikto
    begin http-admin-probe attack Reconnaissance "nikto $V_NIKTO" "$ATTACKER"
    run faX timeout 90 nikto -h "http://$SERVER/" -Tuning 2b -maxtime 80s -nointeractive \
        </dev/null >dirb.txt 2>&1 || true
else
    begin http-admin-probe attack Reconnaissance "curl $V_CURL loop" "$ATTACKER"
    record "while read -r p; do curl -s --max-time 5 -o /dev/null -w '%{http_code} ' \"http://$SERVER/\$p\"; done <admin-paths.txt"
    # shellcheck disable=SC2016 # expanded by the inner bash
    X timeout 90 bash -c 'n=0; while read -r p && [ $n -lt 400 ]; do n=$((n + 1)); curl -s --max-time 5 -o /dev/null -w "%{http_code} $p\n" "http://$1/$p"; done <admin-paths.txt' \
        _ "$SERVER" >dirb.txt 2>&1 || true
fi
end

begin syn-flood attack DoS "hping3 $V_HPING" "$ATTACKER"
run faX timeout 20 hping3 -S -p 80 -c 3000 -i u1000 -q "$SERVER" >hping3.txt 2>&1 || true
end

normal normal-4 20 404

sleep 0.5
kill -INT "$CAP_PID" 2>/dev/null || true
wait "$CAP_PID" 2>/dev/null || true
log "capture: $(tail -n 3 tcpdump.log | tr '\n' ' ')"

# --- attack.phases.json and README.md --------------------------------------------------------
tcpdump -r "$OUT/attack.pcap" -nn -tt 2>/dev/null >capture.txt
"$PY" - "$WORK" "$OUT" "$SERVER" <<'EOF'
import json, os, sys
work, out, server = sys.argv[1:4]
phases = []
for line in open(os.path.join(work, "phases.tsv")):
    i, name, kind, cat, tool, src, start, end = line.rstrip("\n").split("\t")
    cmds = [c for c in open(os.path.join(work, "cmds." + i)).read().splitlines() if c]
    phases.append({"name": name, "kind": kind, "category": None if cat == "-" else cat,
                   "tool": tool, "command": " ; ".join(cmds), "source": src, "target": server,
                   "start": round(float(start), 6), "end": round(float(end), 6)})
with open(os.path.join(out, "attack.phases.json"), "w") as f:
    json.dump(phases, f, indent=2)
    f.write("\n")
# Per phase: packets inside its window, and of those, IPv4 packets between the phase's source
# and the server; packets outside every window.
times = []
for l in open(os.path.join(work, "capture.txt")):
    parts = l.split()
    if len(parts) < 2:
        continue
    ts = float(parts[0])
    pair = None
    if parts[1] == "IP" and len(parts) > 4:
        a = parts[2].rsplit(".", 1)[0] if parts[2].count(".") == 4 else parts[2]
        b = parts[4].rstrip(":")
        b = b.rsplit(".", 1)[0] if b.count(".") == 4 else b
        pair = (a, b)
    times.append((ts, pair))
rows, inside = [], 0
for p in phases:
    sel = [pr for ts, pr in times if p["start"] <= ts <= p["end"]]
    inside += len(sel)
    own = sum(1 for pr in sel if pr and p["source"] in pr and server in pr)
    other = sum(1 for pr in sel if pr and p["source"] not in pr)
    rows.append((p["name"], p["kind"], p["category"] or "-", p["tool"], p["end"] - p["start"],
                 len(sel), own, other))
with open(os.path.join(work, "table.md"), "w") as f:
    f.write("| phase | kind | category | tool | seconds | packets | of them source<->server | from other hosts |\n")
    f.write("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
    for r in rows:
        f.write("| %s | %s | %s | %s | %.1f | %d | %d | %d |\n" % r)
    f.write("\n%d packets in all, %d inside a phase window, %d in the gaps between phases "
            "(late answers and ARP).\n" % (len(times), inside, len(times) - inside))
EOF
"$PY" -m json.tool "$OUT/attack.phases.json" >/dev/null

{
    cat <<EOF
# Attack capture

Made by \`scripts/make-attack-capture.sh\` (run \`sudo scripts/make-attack-capture.sh\` to remake
it; ports, sequence numbers, timestamps and counts change every time, so expected values must
be re-read from the new files). It needs root, about three minutes, and on Debian 12
\`apt-get install iproute2 tcpdump curl nmap hping3 bind9-dnsutils dnsmasq-base ethtool hydra
dirb\` plus \`pip install pyftpdlib\`; without hydra or dirb it falls back to a python ftplib loop
or a curl loop, and attack.phases.json names the tool that ran.

\`attack.pcap\` (tcpdump, pcap, Ethernet, full snap length) holds about three minutes of traffic
to and from a server namespace faS ($SERVER): a normal user in faN ($CLIENT) and an attacker
in faX ($ATTACKER), each on its own veth into a Linux bridge in the switch namespace faW. The
capture is taken on the server's veth, so it sees every packet to or from the server once.
IPv6 is off (IPv4 and ARP only); segmentation and transmit checksum offloads are off, so
frames are at most 1514 bytes and checksums are correct.

Servers: HTTP/1.1 (Python http.server, port 80; files of 0.1 to 150 KB, 404 for anything
else), FTP (pyftpdlib, port 21, user $FTP_USER, passive ports 60000-60019; a failed login is
answered after 0.3 s and the third on a connection closes it), DNS (dnsmasq, port 53, UDP and
TCP, zone corp.test), and banners on 22 (SSH), 25 (SMTP dialogue) and 110 (POP3).

\`attack.phases.json\` lists the phases in order: name, kind (normal/attack), UNSW-NB15
category (null for normal), tool and version, the exact commands (joined by " ; "), source
and target address, start and end (epoch seconds, taken just before the first command and just
after the last). Phases are separated by two quiet seconds.

- normal-1 to normal-4: the user resolves names with dig, browses pages with curl (a page, its
  CSS, its image and a favicon.ico 404 on one keep-alive connection), downloads files (some two
  to a connection), and runs FTP sessions (python ftplib: login, PWD, LIST, CWD, LIST, RETR,
  QUIT; or curl ftp://), with pauses of 0.3 to 3 s.
- syn-scan: nmap SYN scan of the top 1000 TCP ports (the attacker's kernel resets each SYN/ACK).
- udp-scan: nmap UDP scan of the top 100 ports (closed ports answer ICMP port unreachable,
  rate-limited by the server's kernel as usual, so some show as open|filtered).
- service-probe: nmap version detection on the ports the SYN scan found open.
- ftp-brute-force: $BRUTE_DESC, user $FTP_USER, $(($(wc -l <passwords.txt) - 1)) wrong passwords and then the right
  one (it stops at the first hit; 530 for every wrong one).
- http-admin-probe: $PROBE_DESC with a list of $(wc -l <admin-paths.txt) admin and sensitive paths (admin, wp-admin,
  phpmyadmin, .git/HEAD, .env, backup.sql, ...): 404 for nearly all, 200 for the few that exist.
- syn-flood: hping3, 3000 SYNs to port 80 one millisecond apart from changing source ports (the
  server answers SYN/ACK, the attacker's kernel resets).

Categories: scans, service probing and admin-path probing gather information about the target,
UNSW-NB15's Reconnaissance; the SYN flood is DoS. The password brute force is labelled
Exploits: it attacks the FTP service's authentication to gain access, and sends well-formed
logins, not the malformed random input that defines Fuzzers.

## Phases

EOF
    cat table.md
    echo
    echo "attack.pcap: $(stat -c %s "$OUT/attack.pcap") bytes."
    echo
    echo '## Made with'
    echo
    sed 's/^/- /' versions.txt
} >"$OUT/README.md"

# tcpdump ran as root (-Z root); give the files the folder's owner all the same.
chown --reference="$OUT" "$OUT"/attack.pcap "$OUT"/attack.phases.json "$OUT"/README.md
chmod 644 "$OUT"/attack.pcap "$OUT"/attack.phases.json "$OUT"/README.md
cat table.md >&2
