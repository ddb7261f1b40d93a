//! The decoding loop: greedy tokens, prompt-lookup drafts checked in batches, and the
//! answer's text assembled from whole UTF-8 characters.

use super::pool::Job;
use super::prompt_cache::{PrefixCache, PromptTokens};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::{LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::vocab::LlamaVocab;

use crate::error::{Error, Result};
use crate::generation::{Answer, Clock, FinishReason, TextSink};
use crate::lookup;
use crate::prompt::split_opening;

pub(super) fn generate(
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
pub(super) const MAX_DRAFT: usize = 6;

/// The token with the highest logit, the first of equals (as llama.cpp's greedy sampler).
pub(super) fn most_likely(logits: &[f32]) -> LlamaToken {
    let mut best = 0;
    for (i, &logit) in logits.iter().enumerate() {
        if logit > logits[best] {
            best = i;
        }
    }
    LlamaToken::new(best as i32)
}

/// The answer's text as tokens are taken into it, streamed to the caller.
pub(super) struct AnswerText<'a> {
    pub(super) job: &'a Job,
    pub(super) vocab: LlamaVocab<'a>,
    pub(super) clock: &'a mut Clock,
    pub(super) sink: TextSink,
    pub(super) pending_bytes: Vec<u8>,
    pub(super) generated: usize,
}

impl<'a> AnswerText<'a> {
    pub(super) fn new(job: &'a Job, vocab: LlamaVocab<'a>, clock: &'a mut Clock) -> Self {
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
