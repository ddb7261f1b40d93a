#!/usr/bin/env bash
# Generation speed side by side, in one run: this project's explainer (llama-cpp-2) and
# llama-cpp-python (the original service's binding) on the same GGUF, thread count and prompts
# (`/analyze`'s prompts for 8 real windows), rounds interleaved so that both see the same
# machine. Medians of time to first token (cold: empty context; warm: a context that served the
# previous request) and generated tokens/s. llama-cpp-python runs with its default (flash
# attention off) and, cleared before each request, with flash attention on ("reset+fa"), since
# llama-cpp-2 leaves it on "auto" (on for the CPU). This crate runs with its default (prompt
# lookup on) and decoding one token at a time ("llm-explainer/1by1").
#
# Dev-only; needs the default GGUF (scripts/setup-models.sh) and
# `pip install llama-cpp-python==0.3.36` (on CPUs with AMX, see tools/time_llama_cpp_python.py
# for the build that avoids llama.cpp's AMX crash). THREADS (2), ROUNDS (5).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import llama_cpp" 2>/dev/null \
  || { echo "needs llama-cpp-python: pip install llama-cpp-python==0.3.36" >&2; exit 1; }
threads=${THREADS:-2}
rounds=${ROUNDS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo bench --quiet -p llm-explainer --bench explainer --no-run
LLM_BENCH_PROMPTS_OUT="$work/prompts.jsonl" cargo bench --quiet -p llm-explainer --bench explainer
for round in $(seq "$rounds"); do
  echo "round $round/$rounds" >&2
  LLM_BENCH_JSON=1 LLM_BENCH_ROUNDS=1 LLM_BENCH_THREADS="$threads" \
    cargo bench --quiet -p llm-explainer --bench explainer >>"$work/results.jsonl"
  LLM_BENCH_JSON=1 LLM_BENCH_ROUNDS=1 LLM_BENCH_THREADS="$threads" LLM_BENCH_PROMPT_LOOKUP=0 \
    cargo bench --quiet -p llm-explainer --bench explainer >>"$work/results.jsonl"
  python3 tools/time_llama_cpp_python.py "$work/prompts.jsonl" --threads "$threads" \
    >>"$work/results.jsonl"
  python3 tools/time_llama_cpp_python.py "$work/prompts.jsonl" --threads "$threads" --reset \
    >>"$work/results.jsonl"
  python3 tools/time_llama_cpp_python.py "$work/prompts.jsonl" --threads "$threads" --reset \
    --flash-attn >>"$work/results.jsonl"
done

python3 - "$work/results.jsonl" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
groups = {}
for r in rows:
    impl = r["implementation"] + ("" if r.get("prompt_lookup", True) else "/1by1")
    groups.setdefault((impl, r["mode"]), []).append(r)
print(f"{'implementation':<20} {'context':<8} {'requests':>8} {'first token (ms)':>17} {'tokens/s':>9}")
medians = {}
for (impl, mode), rs in sorted(groups.items()):
    ttft = statistics.median(r["time_to_first_token_ms"] for r in rs)
    tps = statistics.median(r["tokens_per_second"] for r in rs)
    medians[(impl, mode)] = (ttft, tps)
    print(f"{impl:<20} {mode:<8} {len(rs):>8} {ttft:>17.1f} {tps:>9.1f}")
for impl in ("llm-explainer", "llm-explainer/1by1"):
    ours = medians.get((impl, "warm"))
    for mode in ("warm", "reset", "reset+fa"):
        theirs = medians.get(("llama-cpp-python", mode))
        if ours and theirs:
            print(f"{impl} warm vs llama-cpp-python {mode}: time to first token "
                  f"{ours[0] / theirs[0]:.2f}x, generation {ours[1] / theirs[1]:.2f}x")
EOF
