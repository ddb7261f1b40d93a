//! A running generation: streamed text pieces, then the finished explanation.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::repetition::{first_repetition, sentence_end_before};

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its answer (end-of-generation token or a stop string).
    Stop,
    /// The token budget was used up: the text is cut.
    MaxTokens,
    /// The wall-clock deadline passed: the text is cut.
    Deadline,
    /// The model began repeating itself (a sentence, or a run of
    /// [`REPEATED_WORDS`](crate::REPEATED_WORDS) words, said twice): the text ends with the
    /// last sentence before the repetition.
    Repetition,
}

impl FinishReason {
    /// The name used in JSON and metrics: `stop`, `max_tokens`, `deadline` or `repetition`.
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::MaxTokens => "max_tokens",
            FinishReason::Deadline => "deadline",
            FinishReason::Repetition => "repetition",
        }
    }

    /// `true` when a budget (tokens or time) cut the text; a text ended by the model, or
    /// before its repetition, is whole sentences.
    pub fn is_cut(self) -> bool {
        match self {
            FinishReason::Stop | FinishReason::Repetition => false,
            FinishReason::MaxTokens | FinishReason::Deadline => true,
        }
    }
}

/// Timings of one generation, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timings {
    /// Waiting for a free context.
    pub queue_ms: f64,
    /// From start of work to the first generated token (prompt evaluation included).
    pub time_to_first_token_ms: f64,
    /// Whole generation, queue excluded.
    pub total_ms: f64,
    /// Generated tokens per second after the first token.
    pub tokens_per_second: f64,
}

/// A finished explanation with what it cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The generated text.
    pub text: String,
    /// Why generation ended.
    pub finish_reason: FinishReason,
    /// Tokens in the formatted prompt.
    pub prompt_tokens: usize,
    /// Prompt tokens (the system prefix) whose state was kept from the previous request instead
    /// of evaluated again.
    pub cached_prompt_tokens: usize,
    /// Tokens generated.
    pub generated_tokens: usize,
    /// Phase timings.
    pub timings: Timings,
    /// The model that wrote it.
    pub model: String,
}

/// What a backend produced for one request, before timings are read.
pub(crate) struct Answer {
    pub(crate) text: String,
    pub(crate) finish_reason: FinishReason,
    pub(crate) prompt_tokens: usize,
    pub(crate) cached_prompt_tokens: usize,
    pub(crate) generated_tokens: usize,
}

impl Answer {
    /// Nothing generated, for `finish_reason`.
    pub(crate) fn empty(finish_reason: FinishReason) -> Self {
        Self {
            text: String::new(),
            finish_reason,
            prompt_tokens: 0,
            cached_prompt_tokens: 0,
            generated_tokens: 0,
        }
    }

    pub(crate) fn into_explanation(self, clock: &Clock, model: &str) -> Explanation {
        Explanation {
            timings: clock.timings(self.generated_tokens),
            text: self.text,
            finish_reason: self.finish_reason,
            prompt_tokens: self.prompt_tokens,
            cached_prompt_tokens: self.cached_prompt_tokens,
            generated_tokens: self.generated_tokens,
            model: model.to_owned(),
        }
    }
}

/// What a [`Generation`] yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A piece of text, in order.
    Text(String),
    /// Generation ended; no event follows.
    Finished(Explanation),
    /// Generation failed; no event follows.
    Failed(Error),
}

/// A generation in progress. Read pieces as they come ([`next_event`](Self::next_event)) or
/// wait for the whole text ([`finish`](Self::finish)). Dropping it cancels the generation.
#[derive(Debug)]
pub struct Generation {
    events: mpsc::UnboundedReceiver<Event>,
}

impl Generation {
    pub(crate) fn channel() -> (Emitter, Self) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Emitter { tx }, Self { events: rx })
    }

    /// The next event, or `None` once the generation has ended.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Blocking [`next_event`](Self::next_event), for code outside an async runtime.
    pub fn blocking_next_event(&mut self) -> Option<Event> {
        self.events.blocking_recv()
    }

    /// Waits for the end and returns the explanation.
    pub async fn finish(mut self) -> Result<Explanation> {
        while let Some(event) = self.next_event().await {
            if let Some(result) = terminal(event) {
                return result;
            }
        }
        Err(Error::Stopped)
    }

    /// Blocking [`finish`](Self::finish), for code outside an async runtime.
    pub fn wait(mut self) -> Result<Explanation> {
        while let Some(event) = self.blocking_next_event() {
            if let Some(result) = terminal(event) {
                return result;
            }
        }
        Err(Error::Stopped)
    }
}

fn terminal(event: Event) -> Option<Result<Explanation>> {
    match event {
        Event::Text(_) => None,
        Event::Finished(explanation) => Some(Ok(explanation)),
        Event::Failed(error) => Some(Err(error)),
    }
}

/// The producing side of a [`Generation`], used by backends.
#[derive(Debug)]
pub(crate) struct Emitter {
    tx: mpsc::UnboundedSender<Event>,
}

impl Emitter {
    /// `true` once the consumer dropped its [`Generation`]: stop working.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.tx.is_closed()
    }

    pub(crate) fn text(&self, piece: String) {
        let _ = self.tx.send(Event::Text(piece));
    }

    pub(crate) fn finish(self, explanation: Explanation) {
        let _ = self.tx.send(Event::Finished(explanation));
    }

    pub(crate) fn fail(self, error: Error) {
        let _ = self.tx.send(Event::Failed(error));
    }
}

/// Accumulates generated text, emits it, and finds stop strings even across pieces (text that
/// could begin a stop string is held back until it is known not to) and loops (the text is cut
/// back to the last sentence before the repetition; what was already emitted stays emitted).
#[derive(Debug)]
pub(crate) struct TextSink {
    stop: Vec<String>,
    text: String,
    emitted: usize,
}

impl TextSink {
    pub(crate) fn new(stop: &[String]) -> Self {
        Self {
            stop: stop.iter().filter(|s| !s.is_empty()).cloned().collect(),
            text: String::new(),
            emitted: 0,
        }
    }

    /// Adds a piece; returns why the text ends here, if it does: [`FinishReason::Stop`] at a
    /// stop string (the text ends before it), [`FinishReason::Repetition`] at a loop.
    pub(crate) fn push(&mut self, piece: &str, emitter: &Emitter) -> Option<FinishReason> {
        self.text.push_str(piece);
        if let Some(at) = self
            .stop
            .iter()
            .filter_map(|s| self.text.find(s.as_str()))
            .min()
        {
            self.text.truncate(at);
            self.flush(emitter);
            return Some(FinishReason::Stop);
        }
        if let Some(repetition) = first_repetition(&self.text, false) {
            self.text
                .truncate(sentence_end_before(&self.text, repetition.at));
            self.emitted = self.emitted.min(self.text.len());
            return Some(FinishReason::Repetition);
        }
        let hold = self
            .stop
            .iter()
            .flat_map(|s| {
                (1..s.len())
                    .filter(|&k| s.is_char_boundary(k))
                    .map(move |k| &s[..k])
            })
            .filter(|prefix| self.text.ends_with(prefix))
            .map(str::len)
            .max()
            .unwrap_or(0);
        let upto = self.text.len() - hold;
        if upto > self.emitted {
            emitter.text(self.text[self.emitted..upto].to_owned());
            self.emitted = upto;
        }
        None
    }

    /// Emits any held-back text and returns the whole text.
    pub(crate) fn finish(mut self, emitter: &Emitter) -> String {
        self.flush(emitter);
        self.text
    }

    fn flush(&mut self, emitter: &Emitter) {
        if self.text.len() > self.emitted {
            emitter.text(self.text[self.emitted..].to_owned());
            self.emitted = self.text.len();
        }
    }
}

/// Measures the phases of one generation.
#[derive(Debug)]
pub(crate) struct Clock {
    queued: Instant,
    started: Instant,
    first_token: Option<Instant>,
}

impl Clock {
    pub(crate) fn new(queued: Instant) -> Self {
        Self {
            queued,
            started: Instant::now(),
            first_token: None,
        }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub(crate) fn token(&mut self) {
        self.first_token.get_or_insert_with(Instant::now);
    }

    pub(crate) fn timings(&self, generated_tokens: usize) -> Timings {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let end = Instant::now();
        let tokens_per_second = match self.first_token {
            Some(first) if generated_tokens > 1 && end > first => {
                (generated_tokens - 1) as f64 / (end - first).as_secs_f64()
            }
            _ => 0.0,
        };
        Timings {
            queue_ms: ms(self.started - self.queued),
            time_to_first_token_ms: self.first_token.map_or(0.0, |t| ms(t - self.started)),
            total_ms: ms(end - self.started),
            tokens_per_second,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reason_names_match_their_json() {
        for reason in [
            FinishReason::Stop,
            FinishReason::MaxTokens,
            FinishReason::Deadline,
            FinishReason::Repetition,
        ] {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
    }

    fn run(stop: &[&str], pieces: &[&str]) -> (Vec<String>, String, Option<FinishReason>) {
        let (emitter, mut generation) = Generation::channel();
        let stop: Vec<String> = stop.iter().map(|s| s.to_string()).collect();
        let mut sink = TextSink::new(&stop);
        let stopped = pieces.iter().find_map(|p| sink.push(p, &emitter));
        let text = sink.finish(&emitter);
        drop(emitter);
        let mut streamed = Vec::new();
        while let Some(Event::Text(t)) = generation.blocking_next_event() {
            streamed.push(t);
        }
        (streamed, text, stopped)
    }

    #[test]
    fn stop_strings_are_found_across_pieces_and_never_streamed() {
        let (streamed, text, stopped) = run(
            &["\n\nUser:"],
            &["The flow", " is odd.\n", "\nUs", "er: hi"],
        );
        assert_eq!(stopped, Some(FinishReason::Stop));
        assert_eq!(text, "The flow is odd.");
        assert_eq!(streamed.concat(), text);
    }

    #[test]
    fn held_back_text_is_released_when_it_is_not_a_stop_string() {
        let (streamed, text, stopped) = run(&["###"], &["a #", "# b", " c"]);
        assert_eq!(stopped, None);
        assert_eq!(text, "a ## b c");
        assert_eq!(streamed.concat(), text);
        let (_, text, _) = run(&[], &["x", "y"]);
        assert_eq!(text, "xy");
    }

    #[test]
    fn a_loop_ends_the_text_before_the_sentence_that_repeats() {
        let line = "The model saw flow 9 send 258 bytes to the server. ";
        let pieces: Vec<&str> = line
            .split_inclusive(' ')
            .chain(line.split_inclusive(' '))
            .collect();
        let (streamed, text, stopped) = run(&[], &pieces);
        assert_eq!(stopped, Some(FinishReason::Repetition));
        assert_eq!(text, line.trim_end());
        // Stopped at the eighth repeated word, long before the budget.
        assert!(streamed.concat().len() < 2 * line.len() - 10);
        assert!(streamed.concat().starts_with(&text));
    }
}
