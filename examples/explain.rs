//! Scores the original's sample window and asks the default local model to explain the verdict.
//!
//! ```sh
//! scripts/setup-models.sh
//! cargo run --release --example explain -- [--french] [model.gguf]
//! ```

use std::error::Error;
use std::io::Write;

use flow_features::{WindowStatistics, parse_window_request};
use llm_explainer::{
    Event, Evidence, Explainer, GenerationSettings, Language, LlamaExplainer, LlamaSettings,
    Verdict, explanation_messages,
};
use lstm_detector::Detector;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let language = if args.iter().any(|a| a == "--french") {
        Language::French
    } else {
        Language::English
    };
    let model = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "models/llm/SmolLM2-135M-Instruct.Q4_1.gguf".into());

    let detector = Detector::from_dir("models/unsw-nb15-lstm")?;
    let body: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        "crates/flow-features/tests/fixtures/sample_request.json",
    )?)?;
    let flows = parse_window_request(&body, detector.sequence_length())?;
    let prediction = detector.predict(&flows)?;
    println!(
        "verdict: {} (probability {:.6})\n",
        prediction.label(),
        prediction.probability
    );

    let verdict = Verdict {
        probability: prediction.probability,
        class: prediction.class,
        threshold: prediction.threshold,
    };
    let statistics = WindowStatistics::from_flows(&flows);
    let attribution = detector.attribute(&flows)?;
    let evidence = Evidence {
        verdict,
        statistics: &statistics,
        attribution: attribution.as_ref(),
    };
    let messages = explanation_messages(&evidence, language);
    let explainer = LlamaExplainer::load(LlamaSettings::new(model))?;
    let mut generation = explainer.generate(messages, &GenerationSettings::default())?;
    while let Some(event) = generation.blocking_next_event() {
        match event {
            Event::Text(piece) => {
                print!("{piece}");
                std::io::stdout().flush()?;
            }
            Event::Finished(done) => println!(
                "\n\n[{} | {:?} | prompt {} tokens, generated {} | first token {:.0} ms, {:.1} tokens/s]",
                done.model,
                done.finish_reason,
                done.prompt_tokens,
                done.generated_tokens,
                done.timings.time_to_first_token_ms,
                done.timings.tokens_per_second
            ),
            Event::Failed(error) => return Err(error.into()),
        }
    }
    Ok(())
}
