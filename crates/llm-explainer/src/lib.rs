//! Explanations of flow-window verdicts an analyst can trust: a grounded report built from the
//! detector's own output, and a language model's narration returned only when it checks out.
//!
//! - [`Evidence`] – the window, the detector's [`Verdict`], its
//!   [`WindowStatistics`](flow_features::WindowStatistics) and
//!   [`Attribution`](flow_features::Attribution): built once, read by everything below;
//! - [`Report`] – summary, evidence list and next steps, without any model (English, French),
//!   naming the category head's reading where the detector has one;
//! - [`explanation_messages`] – the prompt asking a model to narrate the evidence;
//! - [`Explainer`] – the backend trait, with two implementations:
//!   [`LlamaExplainer`] (any local GGUF instruct model through llama.cpp, a bounded pool of
//!   contexts and a bounded queue) and [`OpenAiExplainer`] (an OpenAI-compatible server);
//! - [`GenerationSettings`] – token budget, deadline, sampling, stop strings;
//! - [`Generation`] – streamed text as it is produced, then an [`Explanation`] saying whether it
//!   finished, was cut, or stopped where it began to repeat itself. Dropping it cancels the work;
//! - [`Checks`] – whether a text agrees with the verdict, cites only given numbers, names no
//!   kind of attack but the one the detector's category head reports, does not loop and names
//!   the top feature; [`Checks::choose`] returns the
//!   model's text or the report's summary.
//!
//! ```no_run
//! use llm_explainer::*;
//! # let flows: Vec<flow_features::FlowRecord> = vec![];
//! let explainer = LlamaExplainer::load(LlamaSettings::new("models/llm/SmolLM2-135M-Instruct.Q4_1.gguf"))?;
//! // In a service: `let (verdict, attribution) = detector.assess(&flows)?;` (lstm-detector).
//! let evidence = Evidence::new(&flows, Verdict::from_probability(0.97, 0.5), None);
//! let report = Report::new(&evidence, Language::English);
//! let prompt = explanation_messages(&evidence, Language::English);
//! let done = explainer.generate(prompt.clone(), &GenerationSettings::default())?.wait()?;
//! let checks = Checks::run(&evidence, &prompt, &done.text, done.finish_reason);
//! let (text, source) = checks.choose(&done.text, &report);
//! println!("{text} [{source:?}, failed: {:?}]", checks.failed);
//! # Ok::<(), Error>(())
//! ```
#![deny(missing_docs)]

mod admission;
mod backend;
mod category;
mod checks;
mod error;
mod evidence;
mod generation;
mod glossary;
mod llama;
mod lookup;
mod next_steps;
mod numbers;
mod openai;
mod prompt;
mod repetition;
mod report;
mod settings;

pub use admission::Load;
pub use backend::Explainer;
pub use checks::{Check, Checks, Source};
pub use error::{Error, Result};
pub use evidence::{Evidence, MIN_CITED_DELTA};
pub use flow_features::Verdict;
pub use generation::{Event, Explanation, FinishReason, Generation, Timings};
pub use llama::{LlamaExplainer, LlamaSettings};
pub use openai::OpenAiExplainer;
pub use prompt::{CITED_INFLUENCES, ChatMessage, Language, explanation_messages};
pub use repetition::{REPEATED_WORDS, Repetition};
pub use report::{EvidenceItem, EvidenceKind, Report};
pub use settings::GenerationSettings;
