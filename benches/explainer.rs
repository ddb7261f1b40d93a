//! Explainer speed on the default model: time to first token and generated tokens/s, on the
//! prompts `/analyze` sends for real windows.
//!
//! ```sh
//! scripts/setup-models.sh
//! cargo bench -p llm-explainer --bench explainer            # 5 rounds, 128 tokens, 1 thread
//! LLM_BENCH_THREADS=2 cargo bench -p llm-explainer --bench explainer
//! scripts/bench-llm.sh       # side by side with llama-cpp-python on the same prompts
//! ```
//!
//! Each round explains 8 windows of real rows (the committed 2,000-row fixture) in turn on one
//! context, greedy, without stop strings. The first request of a round finds an empty context
//! ("cold": the whole prompt is evaluated); the others reuse the system prefix's KV state
//! ("warm"), as a running service does. Prints medians of both.
//!
//! Environment: `LLM_BENCH_THREADS` (1), `LLM_BENCH_ROUNDS` (5), `LLM_BENCH_PROMPT_LOOKUP=0`
//! decodes one token at a time (see `GenerationSettings::prompt_lookup`), `LLM_BENCH_JSON=1`
//! prints one JSON line per request (with its text) instead, `LLM_BENCH_PROMPTS_OUT=file` writes
//! the prompts' chat messages (one JSON array per line) and exits.

use std::io::Write;
use std::time::Duration;

use flow_features::{FlowRecord, read_flows};
use llm_explainer::{
    ChatMessage, Evidence, Explainer, GenerationSettings, Language, LlamaExplainer, LlamaSettings,
    explanation_messages,
};
use lstm_detector::Detector;

const WINDOWS: usize = 8;

fn root(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `/analyze`'s prompts for `WINDOWS` windows spread over the fixture, half ending on an attack.
fn prompts() -> Vec<Vec<ChatMessage>> {
    let rows = read_flows(root(
        "crates/lstm-detector/tests/fixtures/flows_train_2k.parquet",
    ))
    .expect("the committed fixture");
    let detector = Detector::from_dir(root("models/unsw-nb15-lstm")).expect("the default model");
    let steps = detector.sequence_length();
    let rows = &rows;
    let ends = |label: u8| {
        (steps - 1..rows.len())
            .filter(move |&i| rows[i].label == Some(label))
            .step_by(97)
    };
    let ends: Vec<usize> = ends(1)
        .take(WINDOWS / 2)
        .chain(ends(0).take(WINDOWS / 2))
        .collect();
    ends.into_iter()
        .map(|end| {
            let flows: Vec<FlowRecord> = rows[end + 1 - steps..=end]
                .iter()
                .map(|r| r.flow.clone())
                .collect();
            let (verdict, attribution) = detector.assess(&flows).unwrap();
            let evidence = Evidence::new(&flows, verdict, attribution);
            explanation_messages(&evidence, Language::English)
        })
        .collect()
}

fn main() {
    let prompts = prompts();
    if let Ok(path) = std::env::var("LLM_BENCH_PROMPTS_OUT") {
        let mut file = std::fs::File::create(&path).expect("prompts file");
        for messages in &prompts {
            writeln!(file, "{}", serde_json::to_string(messages).unwrap()).unwrap();
        }
        return;
    }
    let threads = env_or("LLM_BENCH_THREADS", 1);
    let rounds = env_or("LLM_BENCH_ROUNDS", 5);
    let json = std::env::var("LLM_BENCH_JSON").is_ok();
    let model = root("models/llm/SmolLM2-135M-Instruct.Q4_1.gguf");
    // Greedy and without stop strings: up to 128 tokens each.
    let prompt_lookup = env_or("LLM_BENCH_PROMPT_LOOKUP", 1) != 0;
    let settings = GenerationSettings::default()
        .with_max_tokens(128)
        .with_deadline(Duration::from_secs(120))
        .with_prompt_lookup(prompt_lookup);
    let (mut cold, mut warm, mut speed) = (Vec::new(), Vec::new(), Vec::new());
    let (mut prompt_tokens, mut cached_tokens) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        // A new explainer per round: its first request finds an empty context.
        let explainer = match LlamaExplainer::load(LlamaSettings::new(&model).with_threads(threads))
        {
            Ok(e) => e,
            Err(e) => {
                eprintln!("skipped: {e} (run scripts/setup-models.sh)");
                return;
            }
        };
        for messages in &prompts {
            let done = explainer
                .generate(messages.clone(), &settings)
                .unwrap()
                .wait()
                .unwrap();
            let ttft = done.timings.time_to_first_token_ms;
            let mode = if done.cached_prompt_tokens == 0 {
                cold.push(ttft);
                "cold"
            } else {
                warm.push(ttft);
                cached_tokens.push(done.cached_prompt_tokens as f64);
                "warm"
            };
            speed.push(done.timings.tokens_per_second);
            prompt_tokens.push(done.prompt_tokens as f64);
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "implementation": "llm-explainer",
                        "threads": threads,
                        "prompt_lookup": prompt_lookup,
                        "mode": mode,
                        "time_to_first_token_ms": ttft,
                        "tokens_per_second": done.timings.tokens_per_second,
                        "prompt_tokens": done.prompt_tokens,
                        "cached_prompt_tokens": done.cached_prompt_tokens,
                        "generated_tokens": done.generated_tokens,
                        "text": done.text,
                    })
                );
            }
        }
    }
    if !json {
        println!(
            "explainer SmolLM2-135M-Instruct.Q4_1: threads {threads}, prompt lookup \
             {prompt_lookup}, {rounds} rounds × {WINDOWS} prompts (median {:.0} tokens, {:.0} \
             reused when warm): time to first token median {:.1} ms warm, {:.1} ms cold; \
             generation median {:.1} tokens/s",
            median(prompt_tokens),
            median(cached_tokens),
            median(warm),
            median(cold),
            median(speed)
        );
    }
}
