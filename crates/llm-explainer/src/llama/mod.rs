//! A local GGUF model through llama.cpp, with a pool of contexts owned by worker threads.
//!
//! - [`settings`] – model path, context and pool sizes, threads;
//! - [`pool`] – the backend and the worker threads;
//! - [`prompt_cache`] – prompt tokens and the cached system prefix;
//! - [`decode`] – the decoding loop and the answer text.

mod decode;
mod pool;
mod prompt_cache;
mod settings;

pub use settings::LlamaSettings;

use pool::{Job, backend, run_worker};
use prompt_cache::format_prompt;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatTemplate, LlamaModel};

use crate::admission::{Admission, Load};
use crate::backend::Explainer;
use crate::error::{Error, Result};
use crate::generation::Generation;
use crate::prompt::ChatMessage;
use crate::settings::GenerationSettings;

/// Explanations from a local GGUF instruct model (SmolLM2, Mistral-Instruct, Qwen, Llama, …).
///
/// The model is loaded once and shared; each of `pool_size` worker threads owns one llama.cpp
/// context (contexts cannot cross threads) and takes requests from a queue.
///
/// ```no_run
/// use llm_explainer::{ChatMessage, Explainer, GenerationSettings, LlamaExplainer, LlamaSettings};
/// let explainer = LlamaExplainer::load(LlamaSettings::new("models/llm/SmolLM2-135M-Instruct.Q4_1.gguf"))?;
/// let messages = vec![ChatMessage { role: "user".into(), content: "Say hi.".into() }];
/// let explanation = explainer.generate(messages, &GenerationSettings::default())?.wait()?;
/// println!("{} ({:?})", explanation.text, explanation.finish_reason);
/// # Ok::<(), llm_explainer::Error>(())
/// ```
pub struct LlamaExplainer {
    model: Arc<LlamaModel>,
    template: Arc<LlamaChatTemplate>,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    admission: Arc<Admission>,
    workers: Vec<std::thread::JoinHandle<()>>,
    name: String,
}

impl std::fmt::Debug for LlamaExplainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlamaExplainer")
            .field("model", &self.name)
            .finish_non_exhaustive()
    }
}

impl LlamaExplainer {
    /// Loads the model and starts the pool; returns once every context is ready.
    pub fn load(settings: LlamaSettings) -> Result<Self> {
        let path = &settings.model_path;
        if !path.is_file() {
            return Err(Error::ModelNotFound(path.display().to_string()));
        }
        let load_error = |reason: String| Error::ModelLoad {
            path: path.display().to_string(),
            reason,
        };
        let model = LlamaModel::load_from_file(backend()?, path, &LlamaModelParams::default())
            .map_err(|e| load_error(e.to_string()))?;
        let model = Arc::new(model);
        // Models without a template in their metadata get ChatML, a documented fallback.
        let template = model
            .chat_template(None)
            .or_else(|_| LlamaChatTemplate::new("chatml"))
            .map_err(|e| load_error(e.to_string()))?;
        let template = Arc::new(template);
        let name = model_name(path);

        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let (ready_tx, ready_rx) = mpsc::channel();
        let mut workers = Vec::new();
        for i in 0..settings.pool_size {
            let (model, template, rx, ready) = (
                model.clone(),
                template.clone(),
                rx.clone(),
                ready_tx.clone(),
            );
            let (settings, name) = (settings.clone(), name.clone());
            let worker = std::thread::Builder::new()
                .name(format!("llm-context-{i}"))
                .spawn(move || run_worker(&model, &template, &settings, &name, &rx, &ready))
                .map_err(|e| load_error(e.to_string()))?;
            workers.push(worker);
        }
        drop(ready_tx);
        for _ in 0..settings.pool_size {
            match ready_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(reason)) => return Err(load_error(reason)),
                Err(_) => return Err(load_error("a worker thread died".into())),
            }
        }
        Ok(Self {
            model,
            template,
            jobs: Mutex::new(Some(tx)),
            admission: Admission::new(settings.pool_size, settings.queue_size),
            workers,
            name,
        })
    }

    /// The prompt text `messages` become with this model's chat template, as generation sees it.
    pub fn format_prompt(&self, messages: &[ChatMessage]) -> Result<String> {
        format_prompt(&self.model, &self.template, messages, true)
    }
}

impl Explainer for LlamaExplainer {
    fn generate(
        &self,
        messages: Vec<ChatMessage>,
        settings: &GenerationSettings,
    ) -> Result<Generation> {
        let permit = self.admission.try_admit()?;
        let (emitter, generation) = Generation::channel();
        let job = Job {
            messages,
            settings: settings.clone(),
            emitter,
            queued: Instant::now(),
            _permit: permit,
        };
        let jobs = self.jobs.lock().map_err(|_| Error::Stopped)?;
        jobs.as_ref()
            .ok_or(Error::Stopped)?
            .send(job)
            .map_err(|_| Error::Stopped)?;
        Ok(generation)
    }

    fn model_name(&self) -> &str {
        &self.name
    }

    fn load(&self) -> Load {
        self.admission.load()
    }
}

impl Drop for LlamaExplainer {
    fn drop(&mut self) {
        // Closing the queue ends the workers after their current job.
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn model_name(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}
