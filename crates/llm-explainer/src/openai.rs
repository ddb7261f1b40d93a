//! An OpenAI-compatible chat-completions server (llama.cpp's `llama-server`, vLLM, Ollama, …).

use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use crate::admission::{Admission, Load, Permit};
use crate::backend::Explainer;
use crate::error::{Error, Result};
use crate::generation::{Answer, Clock, Emitter, FinishReason, Generation, TextSink};
use crate::prompt::{ChatMessage, split_opening};
use crate::settings::GenerationSettings;

/// Explanations from a served model through `POST {base_url}/chat/completions` with
/// `"stream": true` (server-sent events).
///
/// ```no_run
/// use llm_explainer::{Explainer, OpenAiExplainer};
/// // llama-server -m mistral-7b-instruct-v0.2.Q4_K_M.gguf --port 8080
/// let explainer = OpenAiExplainer::new("http://127.0.0.1:8080/v1", "mistral-7b-instruct")
///     .with_api_key(std::env::var("OPENAI_API_KEY").ok())
///     .with_max_concurrent(8);
/// assert_eq!(explainer.model_name(), "mistral-7b-instruct");
/// ```
#[derive(Debug, Clone)]
pub struct OpenAiExplainer {
    base_url: String,
    model: String,
    api_key: Option<String>,
    admission: Arc<Admission>,
}

impl OpenAiExplainer {
    /// A client for `model` at `base_url` (e.g. `http://host:8080/v1`), 4 requests at once.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            model: model.into(),
            api_key: None,
            admission: Admission::new(4, 0),
        }
    }

    /// Sends `Authorization: Bearer <key>` when set.
    #[must_use]
    pub fn with_api_key(mut self, key: Option<String>) -> Self {
        self.api_key = key;
        self
    }

    /// Requests in flight at most; more get [`Error::Busy`].
    #[must_use]
    pub fn with_max_concurrent(mut self, requests: usize) -> Self {
        self.admission = Admission::new(requests.max(1), 0);
        self
    }

    fn run(
        &self,
        messages: &[ChatMessage],
        settings: &GenerationSettings,
        emitter: &Emitter,
        clock: &mut Clock,
    ) -> Result<Answer> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(settings.deadline))
            .build()
            .into();
        // An answer's opening (a trailing assistant message) is a decoding aid for small local
        // models; servers differ in whether they continue it, so the server writes its own.
        let (messages, _) = split_opening(messages);
        let mut body = json!({
            "model": self.model,
            "messages": messages,
            "max_tokens": settings.max_tokens,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "seed": settings.seed,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        if !settings.stop.is_empty() {
            body["stop"] = json!(settings.stop);
        }
        let mut request = agent.post(format!("{}/chat/completions", self.base_url));
        if let Some(key) = &self.api_key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        let deadline_hit = |e: &ureq::Error| matches!(e, ureq::Error::Timeout(_));
        let mut response = match request.send_json(&body) {
            Ok(r) => r,
            Err(e) if deadline_hit(&e) => return Ok(Answer::empty(FinishReason::Deadline)),
            Err(e) => return Err(Error::Remote(e.to_string())),
        };
        let status = response.status().as_u16();
        if status != 200 {
            let text = response.body_mut().read_to_string().unwrap_or_default();
            return Err(Error::RemoteStatus {
                status,
                body: text.chars().take(500).collect(),
            });
        }

        let mut sink = TextSink::new(&settings.stop);
        let (mut prompt_tokens, mut cached_prompt_tokens) = (0, 0);
        let (mut generated, mut finish) = (0, FinishReason::Stop);
        let reader = BufReader::new(response.body_mut().as_reader());
        for line in reader.lines() {
            let line = match line {
                Ok(line) => line,
                Err(_) if clock.elapsed() >= settings.deadline => {
                    finish = FinishReason::Deadline;
                    break;
                }
                Err(e) => return Err(Error::Remote(e.to_string())),
            };
            if emitter.is_cancelled() {
                break;
            }
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" {
                break;
            }
            let chunk: Value = serde_json::from_str(data)
                .map_err(|e| Error::Remote(format!("bad stream chunk: {e}")))?;
            if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
                prompt_tokens = usage["prompt_tokens"].as_u64().unwrap_or(0) as usize;
                cached_prompt_tokens = usage["prompt_tokens_details"]["cached_tokens"]
                    .as_u64()
                    .unwrap_or(0) as usize;
                generated = usage["completion_tokens"]
                    .as_u64()
                    .map_or(generated, |n| n as usize);
            }
            let Some(choice) = chunk["choices"].get(0) else {
                continue;
            };
            if let Some(piece) = choice["delta"]["content"]
                .as_str()
                .filter(|p| !p.is_empty())
            {
                clock.token();
                generated += 1;
                if let Some(reason) = sink.push(piece, emitter) {
                    finish = reason;
                    break;
                }
            }
            if choice["finish_reason"].as_str() == Some("length") {
                finish = FinishReason::MaxTokens;
            }
            if clock.elapsed() >= settings.deadline {
                finish = FinishReason::Deadline;
                break;
            }
        }
        Ok(Answer {
            text: sink.finish(emitter).trim().to_owned(),
            finish_reason: finish,
            prompt_tokens,
            cached_prompt_tokens,
            generated_tokens: generated,
        })
    }
}

impl Explainer for OpenAiExplainer {
    fn generate(
        &self,
        messages: Vec<ChatMessage>,
        settings: &GenerationSettings,
    ) -> Result<Generation> {
        let permit: Permit = self.admission.try_admit()?;
        let (emitter, generation) = Generation::channel();
        let (this, settings) = (self.clone(), settings.clone());
        let queued = Instant::now();
        std::thread::Builder::new()
            .name("llm-remote".into())
            .spawn(move || {
                let mut clock = Clock::new(queued);
                let result = this.run(&messages, &settings, &emitter, &mut clock);
                // Free the place before answering, so a caller that saw the answer can be admitted again.
                drop(permit);
                match result {
                    Ok(answer) => emitter.finish(answer.into_explanation(&clock, &this.model)),
                    Err(e) => emitter.fail(e),
                }
            })
            .map_err(|e| Error::Remote(e.to_string()))?;
        Ok(generation)
    }

    fn load(&self) -> Load {
        self.admission.load()
    }

    fn model_name(&self) -> &str {
        &self.model
    }
}
