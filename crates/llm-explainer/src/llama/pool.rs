//! The pool: llama.cpp's backend once per process, and worker threads that each own a
//! context and take jobs from one queue.

use super::LlamaSettings;
use super::decode::generate;
use super::prompt_cache::PrefixCache;
use std::num::NonZeroU32;
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::{LlamaChatTemplate, LlamaModel};

use crate::admission::Permit;
use crate::error::{Error, Result};
use crate::generation::{Clock, Emitter};
use crate::prompt::ChatMessage;
use crate::settings::GenerationSettings;

pub(super) struct Job {
    pub(super) messages: Vec<ChatMessage>,
    pub(super) settings: GenerationSettings,
    pub(super) emitter: Emitter,
    pub(super) queued: Instant,
    pub(super) _permit: Permit,
}

/// llama.cpp's backend may be initialized once per process.
pub(super) fn backend() -> Result<&'static LlamaBackend> {
    static BACKEND: OnceLock<std::result::Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Generation(format!("llama.cpp backend: {e}")))
}

pub(super) fn run_worker(
    model: &LlamaModel,
    template: &LlamaChatTemplate,
    settings: &LlamaSettings,
    name: &str,
    jobs: &Mutex<mpsc::Receiver<Job>>,
    ready: &mpsc::Sender<std::result::Result<(), String>>,
) {
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(settings.context_size))
        .with_n_batch(settings.context_size)
        .with_n_threads(settings.threads)
        .with_n_threads_batch(settings.threads);
    let mut context = match backend().and_then(|b| {
        model
            .new_context(b, params)
            .map_err(|e| Error::Generation(e.to_string()))
    }) {
        Ok(context) => context,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let mut cache = PrefixCache::default();
    loop {
        // Hold the lock only while taking a job.
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if job.emitter.is_cancelled() {
            continue;
        }
        let mut clock = Clock::new(job.queued);
        let result = generate(model, template, &mut context, &mut cache, &job, &mut clock);
        // Free the place before answering, so a caller that saw the answer can be admitted again.
        let Job {
            emitter,
            _permit: permit,
            ..
        } = job;
        drop(permit);
        match result {
            Ok(answer) => emitter.finish(answer.into_explanation(&clock, name)),
            Err(e) => emitter.fail(e),
        }
    }
}
