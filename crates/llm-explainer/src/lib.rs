//! Plain-language explanations of flow-window verdicts, written by a language model.
//!
//! - [`explanation_messages`] – the prompt: the [`Evidence`] (a [`Verdict`],
//!   [`WindowStatistics`](flow_features::WindowStatistics) and the detector's
//!   [`Attribution`](flow_features::Attribution)) as chat messages, in a [`Language`];
//! - [`Explainer`] – the backend trait, with two implementations:
//!   [`LlamaExplainer`] (any local GGUF instruct model through llama.cpp, a bounded pool of
//!   contexts and a bounded queue) and [`OpenAiExplainer`] (an OpenAI-compatible server);
//! - [`GenerationSettings`] – token budget, deadline, sampling, stop strings;
//! - [`Generation`] – streamed text as it is produced, then an [`Explanation`] saying whether it
//!   finished or was cut, with token counts and timings. Dropping it cancels the work;
//! - [`Grounding`] – how much of an explanation's numbers come from its prompt, and whether it
//!   names the top-attributed feature.
//!
//! ```no_run
//! use llm_explainer::*;
//! # let flows: Vec<flow_features::FlowRecord> = vec![];
//! let explainer = LlamaExplainer::load(LlamaSettings::new("models/llm/SmolLM2-135M-Instruct.Q4_1.gguf"))?;
//! let statistics = flow_features::WindowStatistics::from_flows(&flows);
//! let verdict = Verdict { probability: 0.97, class: 1, threshold: 0.5 };
//! let evidence = Evidence { verdict, statistics: &statistics, attribution: None };
//! let messages = explanation_messages(&evidence, Language::English);
//! let mut generation = explainer.generate(messages, &GenerationSettings::default())?;
//! while let Some(event) = generation.blocking_next_event() {
//!     match event {
//!         Event::Text(piece) => print!("{piece}"),
//!         Event::Finished(done) => println!("\n[{:?}, {} tokens]", done.finish_reason, done.generated_tokens),
//!         Event::Failed(error) => eprintln!("{error}"),
//!     }
//! }
//! # Ok::<(), Error>(())
//! ```
#![deny(missing_docs)]

mod admission;
mod backend;
mod error;
mod generation;
mod grounding;
mod llama;
mod lookup;
mod openai;
mod prompt;
mod settings;

pub use admission::Load;
pub use backend::Explainer;
pub use error::{Error, Result};
pub use generation::{Event, Explanation, FinishReason, Generation, Timings};
pub use grounding::Grounding;
pub use llama::{LlamaExplainer, LlamaSettings};
pub use openai::OpenAiExplainer;
pub use prompt::{
    CITED_INFLUENCES, ChatMessage, Evidence, Language, Verdict, explanation_messages,
};
pub use settings::GenerationSettings;
