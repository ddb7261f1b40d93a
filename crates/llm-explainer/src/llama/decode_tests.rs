//! The decoding loop on scripted logits: the same answer with and without prompt lookup, a
//! context that never holds a rejected guess, whole UTF-8 characters, and every way to stop.

use std::time::Instant;

use llama_cpp_2::token::LlamaToken;

use super::{AnswerText, Decoder, Pieces, decode};
use crate::error::{Error, Result};
use crate::generation::{Clock, FinishReason, Generation};
use crate::settings::GenerationSettings;

/// A model whose most likely next token is a function of everything before it; it keeps a
/// context the way llama.cpp does and checks each evaluation continues it exactly.
struct Scripted {
    next: fn(&[LlamaToken]) -> LlamaToken,
    /// The tokens at positions `0..context.len()`.
    context: Vec<LlamaToken>,
    /// The choice after each token of the last evaluation.
    choices: Vec<LlamaToken>,
    evaluations: usize,
}

impl Scripted {
    fn new(next: fn(&[LlamaToken]) -> LlamaToken, prompt: &[LlamaToken]) -> Self {
        Self {
            next,
            context: prompt.to_vec(),
            choices: Vec::new(),
            evaluations: 0,
        }
    }
}

impl Decoder for Scripted {
    fn evaluate(&mut self, tokens: &[LlamaToken], start: usize) -> Result<()> {
        // A gap or a stale guess left in the context would make the model read the wrong text.
        assert_eq!(
            start,
            self.context.len(),
            "evaluation does not continue the context"
        );
        self.evaluations += 1;
        self.choices.clear();
        for &token in tokens {
            self.context.push(token);
            self.choices.push((self.next)(&self.context));
        }
        Ok(())
    }

    fn sample(&mut self, i: usize) -> LlamaToken {
        self.choices[i]
    }

    fn most_likely(&self, i: usize) -> LlamaToken {
        self.choices[i]
    }

    fn forget_from(&mut self, position: usize) -> Result<()> {
        assert!(position <= self.context.len());
        self.context.truncate(position);
        Ok(())
    }
}

/// Token 0 ends; 1 to 26 are `a` to `z`; 27 is a space; 100 and 101 are the two bytes of `é`;
/// 102 is a byte no UTF-8 text holds.
struct Bytes;

impl Pieces for Bytes {
    fn is_end(&self, token: LlamaToken) -> bool {
        token.0 == 0
    }

    fn piece_into(&self, token: LlamaToken, out: &mut Vec<u8>) {
        out.push(match token.0 {
            t @ 1..=26 => b'a' + (t - 1) as u8,
            27 => b' ',
            100 => 0xC3,
            101 => 0xA9,
            _ => 0xFF,
        });
    }
}

fn tokens(ids: &[i32]) -> Vec<LlamaToken> {
    ids.iter().map(|&t| LlamaToken::new(t)).collect()
}

struct Run {
    text: String,
    finish: FinishReason,
    generated: usize,
    evaluations: usize,
}

fn run(
    next: fn(&[LlamaToken]) -> LlamaToken,
    prompt: &[i32],
    max_tokens: usize,
    lookup: bool,
) -> Result<Run> {
    let prompt = tokens(prompt);
    let settings = GenerationSettings {
        max_tokens,
        ..GenerationSettings::default()
    };
    let (emitter, _generation) = Generation::channel();
    let mut clock = Clock::new(Instant::now());
    let mut answer = AnswerText::new(&settings, &emitter, Bytes, &mut clock);
    let mut model = Scripted::new(next, &prompt);
    let first = next(&prompt);
    let finish = decode(&mut model, &mut answer, prompt, first, lookup)?;
    let generated = answer.generated;
    Ok(Run {
        text: answer.sink.finish(&emitter),
        finish,
        generated,
        evaluations: model.evaluations,
    })
}

/// Repeats the text with a period of 5 tokens: every guess from the prompt is right.
fn periodic(history: &[LlamaToken]) -> LlamaToken {
    history[history.len() - 5]
}

/// A next token that depends on the whole text: guesses from repeated pairs are mostly wrong.
fn mixing(history: &[LlamaToken]) -> LlamaToken {
    let hash = history
        .iter()
        .fold(7u32, |h, t| h.wrapping_mul(31).wrapping_add(t.0 as u32));
    LlamaToken::new((hash % 3 + 1) as i32)
}

#[test]
fn lookup_changes_the_number_of_evaluations_not_the_answer() {
    let prompt = [1, 2, 3, 27, 5, 1, 2, 3];
    for (next, name) in [
        (periodic as fn(&[LlamaToken]) -> LlamaToken, "periodic"),
        (mixing, "mixing"),
    ] {
        let plain = run(next, &prompt, 40, false).unwrap();
        let guessed = run(next, &prompt, 40, true).unwrap();
        assert_eq!(guessed.text, plain.text, "{name}");
        assert_eq!(guessed.generated, 40, "{name}");
        assert_eq!(plain.finish, FinishReason::MaxTokens);
        assert_eq!(guessed.finish, FinishReason::MaxTokens);
        // One evaluation per token taken without lookup; with right guesses, one per
        // `1 + MAX_DRAFT` tokens.
        assert_eq!(plain.evaluations, 40, "{name}");
        if name == "periodic" {
            assert!(guessed.evaluations <= 40 / 4, "{}", guessed.evaluations);
        }
    }
    assert_eq!(run(periodic, &prompt, 10, true).unwrap().text, " eabc eabc");
}

#[test]
fn a_character_split_across_tokens_is_emitted_whole_and_bad_bytes_are_an_error() {
    // "é" arrives in two tokens, then the answer ends.
    fn accent(history: &[LlamaToken]) -> LlamaToken {
        let generated = history.len() - 2;
        LlamaToken::new([100, 101, 5, 0][generated.min(3)])
    }
    let done = run(accent, &[1, 2], 10, true).unwrap();
    assert_eq!(
        (done.text.as_str(), done.finish),
        ("ée", FinishReason::Stop)
    );
    assert_eq!(done.generated, 3);

    fn broken(_: &[LlamaToken]) -> LlamaToken {
        LlamaToken::new(102)
    }
    match run(broken, &[1, 2], 10, false) {
        Err(Error::Generation(message)) => assert!(message.contains("UTF-8"), "{message}"),
        Err(other) => panic!("{other}"),
        Ok(run) => panic!("invalid UTF-8 accepted: {:?}", run.text),
    }
}

#[test]
fn the_end_token_inside_accepted_guesses_stops_the_answer() {
    // The prompt teaches the pair (1, 2) → 0: the guess after "a b" is the end token.
    fn ends_after_ab(history: &[LlamaToken]) -> LlamaToken {
        match history {
            [.., a, b] if (a.0, b.0) == (1, 2) => LlamaToken::new(0),
            [.., a] if a.0 == 1 => LlamaToken::new(2),
            _ => LlamaToken::new(1),
        }
    }
    for lookup in [false, true] {
        let done = run(ends_after_ab, &[1, 2, 0, 3], 50, lookup).unwrap();
        assert_eq!(done.text, "ab", "lookup {lookup}");
        assert_eq!(done.finish, FinishReason::Stop);
    }
}
