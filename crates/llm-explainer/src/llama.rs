//! A local GGUF model through llama.cpp, with a pool of contexts owned by worker threads.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::vocab::LlamaVocab;

use crate::admission::{Admission, Load, Permit};
use crate::backend::Explainer;
use crate::error::{Error, Result};
use crate::generation::{Answer, Clock, Emitter, FinishReason, Generation, TextSink};
use crate::lookup;
use crate::prompt::{ChatMessage, split_opening};
use crate::settings::GenerationSettings;

/// How a [`LlamaExplainer`] loads its model and sizes its pool.
///
/// ```
/// use llm_explainer::LlamaSettings;
/// let settings = LlamaSettings::new("models/llm/SmolLM2-135M-Instruct.Q4_1.gguf")
///     .with_pool_size(2)
///     .with_queue_size(8)
///     .with_threads(1);
/// assert_eq!(settings.context_size, 2048);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaSettings {
    /// The GGUF file.
    pub model_path: PathBuf,
    /// Tokens per context (prompt + answer).
    pub context_size: u32,
    /// Contexts generating at once; each has its own worker thread and KV cache.
    pub pool_size: usize,
    /// Requests allowed to wait for a context; beyond that, [`Error::Busy`].
    pub queue_size: usize,
    /// CPU threads per context. llama.cpp's threads spin while waiting, so on a small machine
    /// leave a core free for the rest of the process: the default is cores − 1 (at least 1).
    pub threads: i32,
}

impl LlamaSettings {
    /// Defaults for `model_path`: context 2048, pool 1, queue 3, threads cores − 1.
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            model_path: model_path.into(),
            context_size: 2048,
            pool_size: 1,
            queue_size: 3,
            threads: cores.saturating_sub(1).max(1) as i32,
        }
    }

    /// Sets [`context_size`](Self::context_size).
    #[must_use]
    pub fn with_context_size(mut self, tokens: u32) -> Self {
        self.context_size = tokens;
        self
    }

    /// Sets [`pool_size`](Self::pool_size) (at least 1).
    #[must_use]
    pub fn with_pool_size(mut self, contexts: usize) -> Self {
        self.pool_size = contexts.max(1);
        self
    }

    /// Sets [`queue_size`](Self::queue_size).
    #[must_use]
    pub fn with_queue_size(mut self, requests: usize) -> Self {
        self.queue_size = requests;
        self
    }

    /// Sets [`threads`](Self::threads) (at least 1).
    #[must_use]
    pub fn with_threads(mut self, threads: i32) -> Self {
        self.threads = threads.max(1);
        self
    }
}

struct Job {
    messages: Vec<ChatMessage>,
    settings: GenerationSettings,
    emitter: Emitter,
    queued: Instant,
    _permit: Permit,
}

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

/// llama.cpp's backend may be initialized once per process.
fn backend() -> Result<&'static LlamaBackend> {
    static BACKEND: OnceLock<std::result::Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Generation(format!("llama.cpp backend: {e}")))
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

/// `messages` through the chat template; `add_assistant` opens the answer's turn. A trailing
/// `assistant` message is the answer's opening: the turn is opened and its text follows, for
/// the model to continue.
fn format_prompt(
    model: &LlamaModel,
    template: &LlamaChatTemplate,
    messages: &[ChatMessage],
    add_assistant: bool,
) -> Result<String> {
    let (messages, opening) = split_opening(messages);
    let chat = messages
        .iter()
        .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Generation(format!("message: {e}")))?;
    let mut prompt = model
        .apply_chat_template(template, &chat, add_assistant || opening.is_some())
        .map_err(|e| Error::Generation(format!("chat template: {e}")))?;
    prompt.push_str(opening.unwrap_or_default());
    Ok(prompt)
}

/// A prompt's tokens and how many of them come from its leading system messages, the part
/// that is the same from one request to the next.
struct PromptTokens {
    tokens: Vec<LlamaToken>,
    prefix: usize,
}

impl PromptTokens {
    /// Tokenizes `messages`. The system messages are tokenized on their own when the template
    /// renders them as a prefix of the whole prompt (ChatML, Llama 3, …; not templates that
    /// fold the system text into the first user turn): then `prefix` counts them.
    fn new(
        model: &LlamaModel,
        template: &LlamaChatTemplate,
        messages: &[ChatMessage],
    ) -> Result<Self> {
        let prompt = format_prompt(model, template, messages, true)?;
        let vocab = model.vocab();
        let system = messages.iter().take_while(|m| m.role == "system").count();
        if system > 0 && system < messages.len() {
            let prefix = format_prompt(model, template, &messages[..system], false).ok();
            let split = prefix
                .as_deref()
                .filter(|prefix| !prefix.is_empty())
                .and_then(|prefix| Some((prefix, prompt.strip_prefix(prefix)?)));
            if let Some((prefix, rest)) = split {
                let mut tokens = vocab.tokenize(prefix.as_bytes(), true, true);
                let prefix = tokens.len();
                tokens.extend(vocab.tokenize(rest.as_bytes(), false, true));
                return Ok(Self { tokens, prefix });
            }
        }
        Ok(Self {
            tokens: vocab.tokenize(prompt.as_bytes(), true, true),
            prefix: 0,
        })
    }
}

/// What a worker's context holds between requests: the KV state of the last prompt's system
/// prefix at positions `0..tokens.len()`. A request with the same prefix evaluates only the
/// rest of its prompt, which is most of the time to first token saved on a long system prompt.
///
/// The prefix is always evaluated as a batch of its own, whether cached or not, so reuse changes
/// no number the model computes: answers are the same as from a fresh context.
#[derive(Default)]
struct PrefixCache {
    tokens: Vec<LlamaToken>,
}

impl PrefixCache {
    /// Leaves the context holding `prompt`'s evaluated tokens, with the logits of the last one;
    /// returns how many tokens were reused instead of evaluated.
    fn evaluate(
        &mut self,
        context: &mut LlamaContext<'_>,
        prompt: &PromptTokens,
        batch: &mut LlamaBatch,
    ) -> Result<usize> {
        let failed =
            |what: &str, e: &dyn std::fmt::Display| Error::Generation(format!("{what}: {e}"));
        let (prefix, rest) = prompt.tokens.split_at(prompt.prefix);
        // Only the prefix is reused; the previous request's own tokens follow it in the cache.
        let reused = !prefix.is_empty()
            && self.tokens == prefix
            && context
                .clear_kv_cache_seq(Some(0), Some(prefix.len() as u32), None)
                .map_err(|e| failed("kv cache", &e))?;
        if !reused {
            self.tokens.clear();
            context
                .clear_kv_cache_seq(None, None, None)
                .map_err(|e| failed("kv cache", &e))?;
            if !prefix.is_empty() {
                decode_tokens(context, batch, prefix, 0, false)
                    .map_err(|e| failed("prompt evaluation", &e))?;
                self.tokens = prefix.to_vec();
            }
        }
        decode_tokens(context, batch, rest, prefix.len(), true)
            .map_err(|e| failed("prompt evaluation", &e))?;
        Ok(if reused { prefix.len() } else { 0 })
    }
}

/// Decodes `tokens` at positions from `start`; with `logits_for_last`, the last token's logits
/// are kept for sampling.
fn decode_tokens(
    context: &mut LlamaContext<'_>,
    batch: &mut LlamaBatch,
    tokens: &[LlamaToken],
    start: usize,
    logits_for_last: bool,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    batch.clear();
    let last = tokens.len().saturating_sub(1);
    for (i, token) in tokens.iter().enumerate() {
        batch.add(
            *token,
            (start + i) as i32,
            &[0],
            logits_for_last && i == last,
        )?;
    }
    context.decode(batch)?;
    Ok(())
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

fn run_worker(
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

fn generate(
    model: &LlamaModel,
    template: &LlamaChatTemplate,
    context: &mut LlamaContext<'_>,
    cache: &mut PrefixCache,
    job: &Job,
    clock: &mut Clock,
) -> Result<Answer> {
    let failed = |what: &str, e: &dyn std::fmt::Display| Error::Generation(format!("{what}: {e}"));
    let settings = &job.settings;
    let prompt = PromptTokens::new(model, template, &job.messages)?;
    let tokens = &prompt.tokens;
    let n_ctx = context.n_ctx() as usize;
    // The prefix and the rest are each one batch; the rest must be at least one token.
    if tokens.len() == prompt.prefix || tokens.len() + settings.max_tokens > n_ctx {
        return Err(Error::PromptTooLong {
            prompt_tokens: tokens.len(),
            max_tokens: settings.max_tokens,
            context: n_ctx,
        });
    }
    // Room for the prompt, and for a token with its guesses while answering.
    let mut batch = LlamaBatch::new(tokens.len().max(1 + MAX_DRAFT), 1);
    let cached_prompt_tokens = cache.evaluate(context, &prompt, &mut batch)?;

    // A repetition penalty (off by default) only reweights logits: decoding stays deterministic.
    let penalty = LlamaSampler::penalties(model.n_vocab(), 64, settings.repeat_penalty, 0.0, 0.0);
    let greedy = settings.temperature <= 0.0;
    let mut sampler = if greedy {
        LlamaSampler::chain_simple([penalty, LlamaSampler::greedy()])
    } else {
        LlamaSampler::chain_simple([
            penalty,
            LlamaSampler::top_p(settings.top_p, 1),
            LlamaSampler::temp(settings.temperature),
            LlamaSampler::dist(settings.seed),
        ])
    };
    // Guesses are checked against the model's most likely token, which is the choice only of
    // plain greedy decoding: a penalty would depend on the sampler's history.
    let lookup = settings.prompt_lookup && greedy && settings.repeat_penalty == 1.0;
    let mut answer = AnswerText::new(job, model.vocab(), clock);
    // The opening written into the prompt is the answer's first words.
    if let (_, Some(opening)) = split_opening(&job.messages) {
        answer.sink.push(opening, &job.emitter);
    }
    // The prompt and the tokens taken so far; guesses are looked up in it.
    let mut history = tokens.clone();
    // Positions `0..position` of the context hold evaluated tokens.
    let mut position = tokens.len();
    // `sample` also accepts the token into the chain's history (the repetition penalty's
    // window); accepting it again would count every token twice.
    let mut next = sampler.sample(context, batch.n_tokens() - 1);
    let finish = loop {
        if let Some(finish) = answer.take(next)? {
            break finish;
        }
        history.push(next);
        let room = settings.max_tokens - answer.generated;
        let guesses = if lookup {
            lookup::draft(&history, MAX_DRAFT.min(room)).to_vec()
        } else {
            Vec::new()
        };
        batch.clear();
        for (i, &token) in std::iter::once(&next).chain(&guesses).enumerate() {
            batch
                .add(token, (position + i) as i32, &[0], true)
                .map_err(|e| failed("batch", &e))?;
        }
        context
            .decode(&mut batch)
            .map_err(|e| failed("decode", &e))?;
        position += 1;
        // The logits after `next` and after each guess: keep guesses while they are what the
        // model chooses; its first different choice is the next token.
        let mut ended = None;
        let mut checked = 0;
        next = loop {
            let chosen = if guesses.is_empty() {
                sampler.sample(context, 0)
            } else {
                most_likely(context.get_logits_ith(checked as i32))
            };
            if guesses.get(checked) != Some(&chosen) {
                break chosen;
            }
            ended = answer.take(chosen)?;
            if ended.is_some() {
                break chosen;
            }
            history.push(chosen);
            position += 1;
            checked += 1;
        };
        if let Some(finish) = ended {
            break finish;
        }
        if checked < guesses.len() {
            // Forget the rejected guesses.
            context
                .clear_kv_cache_seq(Some(0), Some(position as u32), None)
                .map_err(|e| failed("kv cache", &e))?;
        }
    };
    let AnswerText {
        sink, generated, ..
    } = answer;
    let text = sink.finish(&job.emitter);
    Ok(Answer {
        text: text.trim().to_owned(),
        finish_reason: finish,
        prompt_tokens: tokens.len(),
        cached_prompt_tokens,
        generated_tokens: generated,
    })
}

/// Most guessed tokens checked in one batch. Measured on the bench's prompts with 2 threads: 6
/// generated fastest, 4 about 8 % slower, 8 slower still (a batch of 9 costs more than the
/// guesses it saves); with 1 thread, 3 to 6 were within the noise of each other.
const MAX_DRAFT: usize = 6;

/// The token with the highest logit, the first of equals (as llama.cpp's greedy sampler).
fn most_likely(logits: &[f32]) -> LlamaToken {
    let mut best = 0;
    for (i, &logit) in logits.iter().enumerate() {
        if logit > logits[best] {
            best = i;
        }
    }
    LlamaToken::new(best as i32)
}

/// The answer's text as tokens are taken into it, streamed to the caller.
struct AnswerText<'a> {
    job: &'a Job,
    vocab: LlamaVocab<'a>,
    clock: &'a mut Clock,
    sink: TextSink,
    pending_bytes: Vec<u8>,
    generated: usize,
}

impl<'a> AnswerText<'a> {
    fn new(job: &'a Job, vocab: LlamaVocab<'a>, clock: &'a mut Clock) -> Self {
        Self {
            job,
            vocab,
            clock,
            sink: TextSink::new(&job.settings.stop),
            pending_bytes: Vec::new(),
            generated: 0,
        }
    }

    /// Adds `token` to the answer, or says why the answer ends instead.
    fn take(&mut self, token: LlamaToken) -> Result<Option<FinishReason>> {
        let settings = &self.job.settings;
        if self.generated >= settings.max_tokens {
            return Ok(Some(FinishReason::MaxTokens));
        }
        if self.clock.elapsed() >= settings.deadline {
            return Ok(Some(FinishReason::Deadline));
        }
        // Nobody reads a cancelled answer; the reason is never seen.
        if self.job.emitter.is_cancelled() || self.vocab.is_eog(token) {
            return Ok(Some(FinishReason::Stop));
        }
        self.generated += 1;
        self.clock.token();
        // A piece may end inside a multi-byte character: emit only complete UTF-8.
        self.pending_bytes
            .extend(self.vocab.token_to_piece(token, false, None));
        let complete = match std::str::from_utf8(&self.pending_bytes) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => {
                return Err(Error::Generation(format!(
                    "model produced invalid UTF-8: {e}"
                )));
            }
        };
        let piece: Vec<u8> = self.pending_bytes.drain(..complete).collect();
        let piece = String::from_utf8(piece).expect("validated above");
        Ok(self.sink.push(&piece, &self.job.emitter))
    }
}
