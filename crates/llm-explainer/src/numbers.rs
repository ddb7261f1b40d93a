//! Numbers and names as a text writes them: what the checks compare with the facts a model
//! was given.

/// A number as written in a text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Number {
    /// As written, e.g. `1,540`.
    pub(crate) text: String,
    pub(crate) value: f64,
    decimals: i32,
    percent: bool,
}

impl Number {
    /// Equal to `fact` as written, or to `fact` rounded to this number's decimals, or (for a
    /// percentage) to `100 × fact` rounded likewise.
    pub(crate) fn matches(&self, fact: f64) -> bool {
        let rounds_to = |x: f64| {
            let scale = 10f64.powi(self.decimals);
            ((x * scale).round() - self.value * scale).abs() < 0.5e-6 * scale.max(1.0)
        };
        rounds_to(fact) || (self.percent && rounds_to(fact * 100.0))
    }
}

/// The numbers of `text`: digits with an optional decimal part and `,` thousands separators.
pub(crate) fn numbers(text: &str) -> Vec<Number> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if !(chars[i].is_ascii_digit() && starts_word) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        let mut decimals = 0;
        let mut seen_point = false;
        while i < chars.len() {
            let c = chars[i];
            let next_is_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if c.is_ascii_digit() {
                digits.push(c);
                decimals += i32::from(seen_point);
            } else if c == ',' && !seen_point && next_is_digit && digits == "0" {
                // `0,973`: a French decimal comma (no thousands group starts with 0).
                seen_point = true;
                digits.push('.');
            } else if c == ',' && !seen_point && next_is_digit && thousands_group(&chars, i) {
                // A thousands separator: skip it.
            } else if c == '.' && !seen_point && next_is_digit {
                seen_point = true;
                digits.push('.');
            } else {
                break;
            }
            i += 1;
        }
        // Digits glued to letters (`x86`, `2nd`) are names, not quantities.
        if chars.get(i).is_some_and(|c| c.is_alphabetic()) {
            continue;
        }
        if let Ok(value) = digits.parse::<f64>() {
            out.push(Number {
                text: chars[start..i].iter().collect(),
                value,
                decimals,
                percent: chars.get(i) == Some(&'%')
                    || (chars.get(i) == Some(&' ') && chars.get(i + 1) == Some(&'%')),
            });
        }
    }
    out
}

/// Whether the `,` at `i` is followed by exactly three digits (so `1,540` but not `3,4`).
fn thousands_group(chars: &[char], i: usize) -> bool {
    chars.len() > i + 3
        && chars[i + 1..=i + 3].iter().all(char::is_ascii_digit)
        && !chars.get(i + 4).is_some_and(char::is_ascii_digit)
}

/// Whether `text` contains `word` (case-insensitive) not inside a longer identifier.
pub(crate) fn names_word(text: &str, word: &str) -> bool {
    let (text, word) = (text.to_lowercase(), word.to_lowercase());
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(&word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_numbers_as_written() {
        let found: Vec<(String, f64)> =
            numbers("1) 74.1 pkt/s, 12,345 bytes, 3,4 and x86 -0.5 97 %")
                .into_iter()
                .map(|n| (n.text, n.value))
                .collect();
        assert_eq!(
            found,
            [
                ("1".to_owned(), 1.0),
                ("74.1".to_owned(), 74.1),
                ("12,345".to_owned(), 12345.0),
                ("3".to_owned(), 3.0),
                ("4".to_owned(), 4.0),
                ("0.5".to_owned(), 0.5),
                ("97".to_owned(), 97.0),
            ]
        );
        assert!(numbers("97 %")[0].percent);
        assert!(numbers("end of sentence 2.").len() == 1);
        assert_eq!(numbers("probabilité 0,973")[0].value, 0.973);
    }

    #[test]
    fn rounded_numbers_and_percentages_match_their_fact() {
        let facts = [74.08749, 0.973, 258.0];
        let grounded = |text: &str| {
            numbers(text)
                .iter()
                .all(|n| facts.iter().any(|&f| n.matches(f)))
        };
        assert!(grounded("74.1 and 74 and 0.97 and 97.3% and 258"));
        for invented in ["75", "0.98", "259", "97.4 %"] {
            assert!(!grounded(invented), "{invented}");
        }
    }

    #[test]
    fn feature_names_match_whole_words_only() {
        assert!(names_word("High SBYTES here", "sbytes"));
        assert!(names_word("(rate)", "rate"));
        assert!(!names_word("a separate issue", "rate"));
        assert!(!names_word("sbytes_total", "sbytes"));
    }
}
