//! The prompt as tokens, and the system prefix kept evaluated in a context between requests.

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::token::LlamaToken;

use crate::error::{Error, Result};
use crate::prompt::{ChatMessage, split_opening};

/// `messages` through the chat template; `add_assistant` opens the answer's turn. A trailing
/// `assistant` message is the answer's opening: the turn is opened and its text follows, for
/// the model to continue.
pub(super) fn format_prompt(
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
pub(super) struct PromptTokens {
    pub(super) tokens: Vec<LlamaToken>,
    pub(super) prefix: usize,
}

impl PromptTokens {
    /// Tokenizes `messages`. The system messages are tokenized on their own when the template
    /// renders them as a prefix of the whole prompt (ChatML, Llama 3, …; not templates that
    /// fold the system text into the first user turn): then `prefix` counts them.
    pub(super) fn new(
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
pub(super) struct PrefixCache {
    pub(super) tokens: Vec<LlamaToken>,
}

impl PrefixCache {
    /// Leaves the context holding `prompt`'s evaluated tokens, with the logits of the last one;
    /// returns how many tokens were reused instead of evaluated.
    pub(super) fn evaluate(
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
pub(super) fn decode_tokens(
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
