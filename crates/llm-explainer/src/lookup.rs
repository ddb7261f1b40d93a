//! Prompt lookup: guesses of the next tokens taken from the text so far.
//!
//! An explanation repeats much of its prompt (feature names, numbers, the verdict line) and, with a
//! small model, its own sentences. When the last few tokens occurred before, the tokens that
//! followed them then are a cheap guess of what comes next. The model checks all guesses in one
//! batch, which costs little more than one token, and greedy decoding keeps those it would have
//! chosen anyway.

/// Longest and shortest run of last tokens looked up; longer runs are tried first, since they
/// guess better.
const LONGEST_MATCH: usize = 3;
const SHORTEST_MATCH: usize = 2;

/// At most `max` tokens that followed the latest earlier occurrence of the last tokens of
/// `history` (empty when they never occurred before).
pub(crate) fn draft<T: PartialEq>(history: &[T], max: usize) -> &[T] {
    if max == 0 {
        return &[];
    }
    for length in (SHORTEST_MATCH..=LONGEST_MATCH).rev() {
        let Some(tail_start) = history.len().checked_sub(length) else {
            continue;
        };
        let tail = &history[tail_start..];
        // Latest occurrence first: the nearest context guesses best.
        if let Some(start) = (0..tail_start)
            .rev()
            .find(|&start| &history[start..start + length] == tail)
        {
            let from = start + length;
            return &history[from..(from + max).min(history.len())];
        }
    }
    &[]
}

#[cfg(test)]
mod tests {
    use super::draft;

    #[test]
    fn guesses_what_followed_the_latest_earlier_occurrence() {
        // "a b c d e ... a b c" → "d e" followed "a b c" before.
        let history = [1, 2, 3, 4, 5, 9, 1, 2, 3];
        assert_eq!(draft(&history, 2), [4, 5]);
        assert_eq!(draft(&history, 10), [4, 5, 9, 1, 2, 3]);
        // The latest occurrence wins.
        let history = [1, 2, 3, 7, 1, 2, 3, 8, 1, 2, 3];
        assert_eq!(draft(&history, 1), [8]);
    }

    #[test]
    fn falls_back_to_a_shorter_match_and_to_nothing() {
        // "3 2 5" never occurred before; "2 5" did.
        assert_eq!(draft(&[2, 5, 6, 3, 2, 5], 3), [6, 3, 2]);
        assert!(draft(&[1, 2, 3, 4], 3).is_empty());
        assert!(draft(&[1, 2, 1, 2], 0).is_empty());
        assert!(draft::<u32>(&[], 3).is_empty());
        assert!(draft(&[7], 3).is_empty());
    }
}
