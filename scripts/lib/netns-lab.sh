# Shared by the capture generators (make-flow-captures.sh, make-attack-capture.sh): the checks
# before any namespace is made, the clean-up that removes them, the log line and the record of
# tool versions. Source it after setting WORK (a scratch directory), PIDS (background
# processes, an array) and NAMESPACES (the namespaces the script makes, an array).

# Stops unless running as root and every tool named is on the PATH; `hint` says how to get
# them. Sets PY to the python3 interpreter itself (not a pyenv shim, so `ip netns exec` runs
# the same one everywhere) and checks it has pyftpdlib.
lab_require() { # hint tool...
    local hint=$1 tool missing=()
    shift
    [ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
    for tool in "$@"; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "missing: ${missing[*]}" >&2
        echo "  $hint" >&2
        exit 1
    fi
    PY=$(python3 -c 'import sys; print(sys.executable)')
    "$PY" -c 'import pyftpdlib' 2>/dev/null || { echo "missing pyftpdlib (pip install pyftpdlib)" >&2; exit 1; }
}

# Kills the background processes, removes the namespaces and the scratch directory.
lab_cleanup() {
    local pid ns
    for pid in "${PIDS[@]:-}"; do
        if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    done
    wait 2>/dev/null || true
    lab_remove_namespaces
    cd /
    rm -rf "$WORK"
}

# Removes the script's namespaces that exist (a previous run's, or this run's at the end).
lab_remove_namespaces() {
    local ns
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}

log() { echo "[$(date +%T.%N | cut -c1-12)] $*" >&2; }

# The versions both generators record: kernel, tcpdump, python3, pyftpdlib.
lab_versions() {
    echo "kernel: $(uname -r)"
    echo "tcpdump: $(tcpdump --version 2>&1 | head -1 | awk '{print $3}'), $(tcpdump --version 2>&1 | sed -n 2p)"
    echo "python3: $("$PY" -c 'import platform; print(platform.python_version())')"
    echo "pyftpdlib: $("$PY" -c 'import pyftpdlib; print(pyftpdlib.__ver__)')"
}

# Writes the output of the script's own `versions` function to $WORK/versions.txt and logs it.
lab_record_versions() {
    versions >"$WORK/versions.txt"
    log "tool versions:"
    sed 's/^/    /' "$WORK/versions.txt" >&2
}
