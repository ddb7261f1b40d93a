#!/usr/bin/env python3
"""Dev-only: times llama-cpp-python (the original service's LLM binding) on the prompts
`benches/explainer.rs` writes, for a side-by-side comparison run by `scripts/bench-llm.sh`.

    pip install llama-cpp-python==0.3.36      # builds llama.cpp with -march=native, ~11 min
    python3 tools/time_llama_cpp_python.py prompts.jsonl --threads 2

On CPUs with AMX (Sapphire Rapids and later) that native build segfaults in llama.cpp's AMX
matrix product (ggml-org/llama.cpp#20824); build it with every native feature but AMX:

    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
      -DGGML_BMI2=ON -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON \
      -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON" \
      pip install --force-reinstall --no-deps llama-cpp-python==0.3.36

One persistent `Llama` per round, as a service keeps it; each prompt through
`create_chat_completion` (greedy, up to 128 tokens, streamed to time the first token). The
first request of a round finds an empty context ("cold"); later ones may reuse the prompt
prefix they share with the previous request, which llama-cpp-python matches on its own
("warm"). `--reset` clears the context before every request instead (the whole prompt is
evaluated every time). `--flash-attn` turns on llama.cpp's flash attention, which
llama-cpp-python leaves off by default and llama-cpp-2 leaves on "auto" (on for the CPU); the
mode then ends in "+fa". Prints one JSON line per request. Not used by the service, the tests or CI.
"""
import argparse
import json
import time
from pathlib import Path

from llama_cpp import Llama

MODEL = Path(__file__).resolve().parent.parent / "models/llm/SmolLM2-135M-Instruct.Q4_1.gguf"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("prompts", type=Path, help="one JSON array of chat messages per line")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--reset", action="store_true", help="clear the context before each request")
    parser.add_argument("--flash-attn", action="store_true", help="turn on flash attention")
    args = parser.parse_args()
    prompts = [json.loads(line) for line in args.prompts.read_text().splitlines() if line.strip()]

    for _ in range(args.rounds):
        llm = Llama(
            model_path=str(MODEL),
            n_ctx=2048,
            n_batch=2048,
            n_threads=args.threads,
            n_threads_batch=args.threads,
            flash_attn=args.flash_attn,
            verbose=False,
        )
        for index, messages in enumerate(prompts):
            if args.reset:
                llm.reset()
            start = time.perf_counter()
            first = None
            pieces = 0
            for chunk in llm.create_chat_completion(
                messages=messages,
                max_tokens=args.max_tokens,
                temperature=0.0,
                stream=True,
            ):
                if chunk["choices"][0]["delta"].get("content"):
                    pieces += 1
                    if first is None:
                        first = time.perf_counter()
            end = time.perf_counter()
            cold = args.reset or index == 0
            mode = "reset" if args.reset else ("cold" if cold else "warm")
            print(
                json.dumps(
                    {
                        "implementation": "llama-cpp-python",
                        "threads": args.threads,
                        "mode": mode + ("+fa" if args.flash_attn else ""),
                        "time_to_first_token_ms": (first - start) * 1e3,
                        "tokens_per_second": (pieces - 1) / (end - first) if pieces > 1 else 0.0,
                        "generated_tokens": pieces,
                    }
                ),
                flush=True,
            )
        del llm


if __name__ == "__main__":
    main()
