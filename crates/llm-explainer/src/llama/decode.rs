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
use crate::generation::{Answer, Clock, Emitter, FinishReason, TextSink};
use crate::lookup;
use crate::prompt::split_opening;
use crate::settings::GenerationSettings;

pub(super) fn generate(
    model: &LlamaModel,
    template: &LlamaChatTemplate,
    context: &mut LlamaContext<'_>,
    cache: &mut PrefixCache,
    job: &Job,
    clock: &mut Clock,
) -> Result<Answer> {
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
    let mut answer = AnswerText::new(settings, &job.emitter, model.vocab(), clock);
    // The opening written into the prompt is the answer's first words.
    if let (_, Some(opening)) = split_opening(&job.messages) {
        answer.sink.push(opening, &job.emitter);
    }
    // `sample` also accepts the token into the chain's history (the repetition penalty's
    // window); accepting it again would count every token twice.
    let first = sampler.sample(context, batch.n_tokens() - 1);
    let mut llama = Llama {
        context,
        batch,
        sampler,
    };
    let finish = decode(&mut llama, &mut answer, tokens.clone(), first, lookup)?;
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

/// What the decoding loop needs of a model and its context. llama.cpp behind it in service;
/// scripted logits in the tests, so the loop's bookkeeping is checked on its own.
pub(super) trait Decoder {
    /// Evaluates `tokens` at positions `start..start + tokens.len()` in one batch, keeping the
    /// logits after each.
    fn evaluate(&mut self, tokens: &[LlamaToken], start: usize) -> Result<()>;
    /// The sampler's choice after the `i`-th token of the last evaluation.
    fn sample(&mut self, i: usize) -> LlamaToken;
    /// The highest-logit token after the `i`-th token of the last evaluation.
    fn most_likely(&self, i: usize) -> LlamaToken;
    /// Forgets every position from `position` on.
    fn forget_from(&mut self, position: usize) -> Result<()>;
}

/// What the answer needs of a vocabulary.
pub(super) trait Pieces {
    /// Whether `token` ends the generation.
    fn is_end(&self, token: LlamaToken) -> bool;
    /// Appends the bytes of `token` (possibly part of a UTF-8 character) to `out`.
    fn piece_into(&self, token: LlamaToken, out: &mut Vec<u8>);
}

/// Greedy or sampled tokens until the answer ends, with prompt-lookup guesses checked in
/// batches when `lookup`: `history` is the evaluated prompt, `first` the token chosen after it.
pub(super) fn decode<P: Pieces>(
    decoder: &mut impl Decoder,
    answer: &mut AnswerText<'_, P>,
    mut history: Vec<LlamaToken>,
    first: LlamaToken,
    lookup: bool,
) -> Result<FinishReason> {
    // Positions `0..position` of the context hold evaluated tokens.
    let mut position = history.len();
    let mut next = first;
    let mut step = Vec::with_capacity(1 + MAX_DRAFT);
    loop {
        if let Some(finish) = answer.take(next)? {
            return Ok(finish);
        }
        history.push(next);
        step.clear();
        step.push(next);
        if lookup {
            let room = answer.settings.max_tokens - answer.generated;
            step.extend_from_slice(lookup::draft(&history, MAX_DRAFT.min(room)));
        }
        let guesses = step.len() - 1;
        decoder.evaluate(&step, position)?;
        position += 1;
        // The logits after `next` and after each guess: keep guesses while they are what the
        // model chooses; its first different choice is the next token.
        let mut checked = 0;
        next = loop {
            let chosen = if guesses == 0 {
                decoder.sample(0)
            } else {
                decoder.most_likely(checked)
            };
            if checked == guesses || step[1 + checked] != chosen {
                break chosen;
            }
            if let Some(finish) = answer.take(chosen)? {
                return Ok(finish);
            }
            history.push(chosen);
            position += 1;
            checked += 1;
        };
        if checked < guesses {
            // Forget the rejected guesses.
            decoder.forget_from(position)?;
        }
    }
}

/// The decoder of a llama.cpp context.
struct Llama<'c, 'm, 'b> {
    context: &'c mut LlamaContext<'m>,
    batch: LlamaBatch<'b>,
    sampler: LlamaSampler,
}

fn failed(what: &str, e: &dyn std::fmt::Display) -> Error {
    Error::Generation(format!("{what}: {e}"))
}

impl Decoder for Llama<'_, '_, '_> {
    fn evaluate(&mut self, tokens: &[LlamaToken], start: usize) -> Result<()> {
        self.batch.clear();
        for (i, &token) in tokens.iter().enumerate() {
            self.batch
                .add(token, (start + i) as i32, &[0], true)
                .map_err(|e| failed("batch", &e))?;
        }
        self.context
            .decode(&mut self.batch)
            .map_err(|e| failed("decode", &e))
    }

    fn sample(&mut self, i: usize) -> LlamaToken {
        self.sampler.sample(self.context, i as i32)
    }

    fn most_likely(&self, i: usize) -> LlamaToken {
        most_likely(self.context.get_logits_ith(i as i32))
    }

    fn forget_from(&mut self, position: usize) -> Result<()> {
        self.context
            .clear_kv_cache_seq(Some(0), Some(position as u32), None)
            .map(drop)
            .map_err(|e| failed("kv cache", &e))
    }
}

impl Pieces for LlamaVocab<'_> {
    fn is_end(&self, token: LlamaToken) -> bool {
        self.is_eog(token)
    }

    fn piece_into(&self, token: LlamaToken, out: &mut Vec<u8>) {
        self.token_to_piece_into(token, out, false, None);
    }
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
pub(super) struct AnswerText<'a, P> {
    pub(super) settings: &'a GenerationSettings,
    pub(super) emitter: &'a Emitter,
    pub(super) pieces: P,
    pub(super) clock: &'a mut Clock,
    pub(super) sink: TextSink,
    pub(super) pending_bytes: Vec<u8>,
    pub(super) generated: usize,
}

impl<'a, P: Pieces> AnswerText<'a, P> {
    pub(super) fn new(
        settings: &'a GenerationSettings,
        emitter: &'a Emitter,
        pieces: P,
        clock: &'a mut Clock,
    ) -> Self {
        Self {
            settings,
            emitter,
            pieces,
            clock,
            sink: TextSink::new(&settings.stop),
            pending_bytes: Vec::new(),
            generated: 0,
        }
    }

    /// Adds `token` to the answer, or says why the answer ends instead.
    fn take(&mut self, token: LlamaToken) -> Result<Option<FinishReason>> {
        let settings = self.settings;
        if self.generated >= settings.max_tokens {
            return Ok(Some(FinishReason::MaxTokens));
        }
        if self.clock.elapsed() >= settings.deadline {
            return Ok(Some(FinishReason::Deadline));
        }
        // Nobody reads a cancelled answer; the reason is never seen.
        if self.emitter.is_cancelled() || self.pieces.is_end(token) {
            return Ok(Some(FinishReason::Stop));
        }
        self.generated += 1;
        self.clock.token();
        // A piece may end inside a multi-byte character: emit only complete UTF-8.
        self.pieces.piece_into(token, &mut self.pending_bytes);
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
        Ok(self.sink.push(&piece, self.emitter))
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
