//! Explainer speed on the default model: time to first token and generated tokens/s.
//!
//! ```sh
//! scripts/setup-models.sh
//! cargo bench -p llm-explainer --bench explainer            # 10 rounds, 128 tokens, 1 thread
//! LLM_BENCH_THREADS=2 cargo bench -p llm-explainer --bench explainer
//! ```
//! Prints medians over the rounds (greedy decoding, the sample window's explanation prompt).

use std::time::Duration;

use flow_features::{WindowStatistics, parse_window_request};
use llm_explainer::{
    Evidence, Explainer, GenerationSettings, Language, LlamaExplainer, LlamaSettings, Verdict,
    explanation_messages,
};
use lstm_detector::Detector;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/llm/SmolLM2-135M-Instruct.Q4_1.gguf"
    );
    let threads = std::env::var("LLM_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let rounds = std::env::var("LLM_BENCH_ROUNDS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(10);
    let explainer = match LlamaExplainer::load(LlamaSettings::new(model).with_threads(threads)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("skipped: {e} (run scripts/setup-models.sh)");
            return;
        }
    };
    let body: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../flow-features/tests/fixtures/sample_request.json"
    )))
    .unwrap();
    let flows = parse_window_request(&body, 10).unwrap();
    // The prompt `/analyze` sends, with the original detector's verdict and attribution (the
    // figures in the README were measured on it).
    let detector = Detector::from_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/unsw-nb15-seed"
    ))
    .unwrap();
    let prediction = detector.predict(&flows).unwrap();
    let attribution = detector.attribute(&flows).unwrap();
    let statistics = WindowStatistics::from_flows(&flows);
    let evidence = Evidence {
        verdict: Verdict {
            probability: prediction.probability,
            class: prediction.class,
            threshold: prediction.threshold,
        },
        statistics: &statistics,
        attribution: attribution.as_ref(),
    };
    let messages = explanation_messages(&evidence, Language::English);
    // Greedy and without stop strings: every round generates the same text, up to 128 tokens.
    let settings = GenerationSettings::default()
        .with_max_tokens(128)
        .with_deadline(Duration::from_secs(120));
    let (mut ttft, mut tps, mut prompt_tokens, mut generated) = (Vec::new(), Vec::new(), 0, 0);
    for _ in 0..rounds {
        let done = explainer
            .generate(messages.clone(), &settings)
            .unwrap()
            .wait()
            .unwrap();
        ttft.push(done.timings.time_to_first_token_ms);
        tps.push(done.timings.tokens_per_second);
        (prompt_tokens, generated) = (done.prompt_tokens, done.generated_tokens);
    }
    println!(
        "explainer {}: threads {threads}, prompt {prompt_tokens} tokens, {generated} generated, {rounds} rounds: \
         median time to first token {:.1} ms, median generation {:.1} tokens/s",
        explainer.model_name(),
        median(ttft),
        median(tps)
    );
}
