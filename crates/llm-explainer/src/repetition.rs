//! Loops: a sentence, or a long run of words, that a text says twice. Small models fall into
//! them; generation stops at the first one and the checks refuse any text that holds one.

use std::collections::HashMap;

use serde::Serialize;

/// Words in a run that, said a second time, make a loop. Eight words rarely recur by chance in
/// a short explanation, yet a looping model repeats far longer runs.
pub const REPEATED_WORDS: usize = 8;

/// Shortest sentence, in words, whose repetition counts (a repeated "Yes." is no loop).
const MIN_SENTENCE_WORDS: usize = 3;

/// Where a text starts repeating itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Repetition {
    /// Byte offset of the second occurrence.
    pub at: usize,
    /// What is said twice (normalized: lower case, single spaces).
    pub repeated: String,
}

/// The first repetition in `text`: a sentence of at least three words said before, or a run of
/// [`REPEATED_WORDS`] words seen before. `finished`: the last sentence counts even without
/// its final stop (the text will not grow).
pub(crate) fn first_repetition(text: &str, finished: bool) -> Option<Repetition> {
    let by_words = repeated_run(&words(text));
    let by_sentence = repeated_sentence(text, finished);
    match (by_words, by_sentence) {
        (Some(a), Some(b)) => Some(if a.at <= b.at { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// The end (exclusive, after its stop) of the last sentence that ends at or before `at`; 0 when
/// no sentence ends there.
pub(crate) fn sentence_end_before(text: &str, at: usize) -> usize {
    sentences(text)
        .into_iter()
        .filter(|s| s.closed && s.end <= at)
        .map(|s| s.end)
        .next_back()
        .unwrap_or(0)
}

/// A sentence of a text: byte range, and whether a stop (`.`, `!`, `?`, a line break) ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sentence {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) closed: bool,
}

/// The sentences of `text`. A `.` ends a sentence only before white space or the end, so
/// `0.973` stays whole.
pub(crate) fn sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let stops = match c {
            '\n' | '!' | '?' => true,
            '.' => next.is_none_or(char::is_whitespace),
            _ => false,
        };
        if stops {
            let end = i + c.len_utf8();
            if !text[start..end].trim().is_empty() {
                out.push(Sentence {
                    start,
                    end,
                    closed: true,
                });
            }
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(Sentence {
            start,
            end: text.len(),
            closed: false,
        });
    }
    out
}

/// The words of `text` with their byte offsets, lower-cased; numbers stay whole (`0.973`).
fn words(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let inside_number = (c == '.' || c == ',')
            && current
                .as_ref()
                .is_some_and(|(_, w)| w.ends_with(|p: char| p.is_ascii_digit()))
            && chars.get(k + 1).is_some_and(|(_, n)| n.is_ascii_digit());
        if c.is_alphanumeric() || c == '_' || inside_number {
            current
                .get_or_insert_with(|| (i, String::new()))
                .1
                .extend(c.to_lowercase());
        } else if let Some(word) = current.take() {
            out.push(word);
        }
    }
    out.extend(current);
    out
}

fn repeated_run(words: &[(usize, String)]) -> Option<Repetition> {
    let mut seen: HashMap<Vec<&str>, usize> = HashMap::new();
    for i in 0..words.len().saturating_sub(REPEATED_WORDS - 1) {
        let run: Vec<&str> = words[i..i + REPEATED_WORDS]
            .iter()
            .map(|(_, w)| w.as_str())
            .collect();
        if seen.contains_key(&run) {
            return Some(Repetition {
                at: words[i].0,
                repeated: run.join(" "),
            });
        }
        seen.insert(run, i);
    }
    None
}

fn repeated_sentence(text: &str, finished: bool) -> Option<Repetition> {
    let mut seen = Vec::new();
    for sentence in sentences(text) {
        if !(sentence.closed || finished) {
            break;
        }
        let normalized: Vec<String> = words(&text[sentence.start..sentence.end])
            .into_iter()
            .map(|(_, w)| w)
            .collect();
        if normalized.len() < MIN_SENTENCE_WORDS {
            continue;
        }
        let normalized = normalized.join(" ");
        if seen.contains(&normalized) {
            let rest = &text[sentence.start..];
            let at = sentence.start + (rest.len() - rest.trim_start().len());
            return Some(Repetition {
                at,
                repeated: normalized,
            });
        }
        seen.push(normalized);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loop a new user saw from `/analyze` (issue 14).
    const LOOP: &str = "The detector verdict: NORMAL (probability 0.000, threshold 0.50)\n\
        The model decided to attack the network by using the NORMAL (probability 0.000, \
        threshold 0.50) to detect the attack.\n\
        The model was able to detect the attack by using the NORMAL (probability 0.000, \
        threshold 0.50) to detect the attack.\n";

    #[test]
    fn finds_the_loop_where_it_starts_and_cuts_before_its_sentence() {
        let found = first_repetition(LOOP, true).unwrap();
        assert_eq!(
            found.repeated,
            "by using the normal probability 0.000 threshold 0.50"
        );
        let second = LOOP.find("The model was").unwrap();
        assert!(found.at > second, "{found:?}");
        let cut = sentence_end_before(LOOP, found.at);
        assert_eq!(&LOOP[..cut], LOOP[..second].trim_end());
    }

    #[test]
    fn a_repeated_short_sentence_counts_once_finished() {
        let text = "Flow 9 stands out. It is large. Flow 9 stands out.";
        let found = first_repetition(text, true).unwrap();
        assert_eq!(found.repeated, "flow 9 stands out");
        assert_eq!(&text[found.at..], "Flow 9 stands out.");
        // Still being written, the last sentence might go on differently.
        assert_eq!(
            first_repetition("Flow 9 stands out. Flow 9 stands out", false),
            None
        );
    }

    #[test]
    fn different_sentences_sharing_short_phrases_are_no_loop() {
        let text = "sbytes of the newest flow is 258 against 100 in normal traffic. \
                    dbytes of the newest flow is 0 against 50 in normal traffic.";
        assert_eq!(first_repetition(text, true), None);
        assert_eq!(sentences("Rate 0.973 is high. Next").len(), 2);
    }
}
