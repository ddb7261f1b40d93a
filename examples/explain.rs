//! Scores the original's sample window, prints the grounded report, asks the default local
//! model to narrate the verdict, and prints what `/analyze` would return after the checks.
//!
//! ```sh
//! scripts/setup-models.sh
//! cargo run --release --example explain -- [--french] [model.gguf]
//! ```

use std::error::Error;
use std::io::Write;

use flow_features::parse_window_request;
use llm_explainer::{
    Checks, Event, Evidence, Explainer, GenerationSettings, Language, LlamaExplainer,
    LlamaSettings, Report, explanation_messages,
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
    // The pipeline /analyze runs: assess, evidence, report, prompt, narration, checks.
    let (verdict, attribution) = detector.assess(&flows)?;
    let evidence = Evidence::new(&flows, verdict, attribution);
    let report = Report::new(&evidence, language);
    println!("report: {}\n", report.summary);
    for step in &report.next_steps {
        println!("- {step}");
    }

    let prompt = explanation_messages(&evidence, language);
    let explainer = LlamaExplainer::load(LlamaSettings::new(model))?;
    let mut generation = explainer.generate(prompt.clone(), &GenerationSettings::default())?;
    println!("\nmodel:");
    while let Some(event) = generation.blocking_next_event() {
        match event {
            Event::Text(piece) => {
                print!("{piece}");
                std::io::stdout().flush()?;
            }
            Event::Finished(done) => {
                println!(
                    "\n\n[{} | {:?} | prompt {} tokens, generated {} | first token {:.0} ms, {:.1} tokens/s]",
                    done.model,
                    done.finish_reason,
                    done.prompt_tokens,
                    done.generated_tokens,
                    done.timings.time_to_first_token_ms,
                    done.timings.tokens_per_second
                );
                let checks = Checks::run(&evidence, &prompt, &done.text, done.finish_reason);
                let (text, source) = checks.choose(&done.text, &report);
                println!(
                    "\nreturned ({}, failed {:?}): {text}",
                    source.as_str(),
                    checks.failed
                );
            }
            Event::Failed(error) => return Err(error.into()),
        }
    }
    Ok(())
}
