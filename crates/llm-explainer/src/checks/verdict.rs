//! Reading a text for what it says of the verdict: claims of attack or normal traffic (with
//! negations, references to normal traffic and "towards attack" read as such), and names of
//! attack kinds. English and French.

use crate::repetition::sentences;

/// Words that call traffic an attack, and words that call it normal (English and French).
const ATTACK_WORDS: &[&str] = &[
    "attack",
    "attacks",
    "attacker",
    "attacking",
    "malicious",
    "intrusion",
    "threat",
    "compromise",
    "compromised",
    "breach",
    "hostile",
    "attaque",
    "attaques",
    "attaquant",
    "malveillant",
    "malveillante",
    "malveillants",
    "menace",
    "compromis",
];
const NORMAL_WORDS: &[&str] = &[
    "normal",
    "normale",
    "normaux",
    "benign",
    "bénin",
    "bénigne",
    "legitimate",
    "légitime",
    "harmless",
    "inoffensif",
    "safe",
    "sûr",
];
/// Words that deny what follows within three words.
const NEGATIONS: &[&str] = &[
    "not", "no", "nothing", "without", "never", "neither", "nor", "isn", "doesn", "pas", "aucun",
    "aucune", "sans", "ni", "jamais", "rien",
];
/// Words before a verdict word that make it a reference, not a claim: "towards attack",
/// "probability of attack", "than normal", "in normal traffic".
const REFERENCES: &[&str] = &[
    "towards", "toward", "of", "than", "in", "against", "for", "from", "by", "vs", "versus",
    "with", "above", "below", "beyond", "over", "under", "vers", "d", "l", "dans", "du", "contre",
    "par", "de", "dessus", "dessous", "sous",
];
/// Articles skipped when looking for a reference word: "probability of an attack".
const ARTICLES: &[&str] = &["a", "an", "the", "un", "une", "le", "la"];
/// Words after (English) or before (French) "normal" that name the baseline ("normal
/// traffic", "trafic normal"), unless the sentence says the window *is* such traffic.
const BASELINE_NOUNS: &[&str] = &["traffic", "baseline", "flow", "flows", "value", "values"];
const BASELINE_NOUNS_BEFORE: &[&str] = &["trafic", "flux", "valeur", "valeurs", "référence"];
const EQUATES: &[&str] = &[
    "is", "are", "was", "looks", "like", "as", "seems", "appears", "est", "comme", "semble",
];

/// Kinds of attack (UNSW-NB15's categories and common others), in both languages.
const ATTACK_KINDS: &[&str] = &[
    "phishing",
    "ransomware",
    "malware",
    "botnet",
    "ddos",
    "dos",
    "denial of service",
    "brute force",
    "sql injection",
    "injection",
    "worm",
    "worms",
    "trojan",
    "backdoor",
    "backdoors",
    "shellcode",
    "fuzzer",
    "fuzzers",
    "fuzzing",
    "reconnaissance",
    "port scan",
    "scan",
    "scanning",
    "spam",
    "exploit",
    "exploits",
    "xss",
    "déni de service",
    "force brute",
    "hameçonnage",
    "rançongiciel",
    "logiciel malveillant",
    "balayage",
    "ver",
    "cheval de troie",
    "porte dérobée",
];

/// What each sentence of `text` calls the traffic: `(sentence, true)` for attack, `false` for
/// normal. A verdict word claims its class ("an attack", "benign"); denied, the other ("not an
/// attack"); a reference claims nothing ("towards attack", "in normal traffic").
pub(super) fn verdict_claims(text: &str) -> Vec<(&str, bool)> {
    let mut claims = Vec::new();
    for s in sentences(text) {
        let sentence = &text[s.start..s.end];
        let words = lower_words(sentence);
        for i in 0..words.len() {
            let word = words[i].as_str();
            let class = if ATTACK_WORDS.contains(&word) {
                true
            } else if NORMAL_WORDS.contains(&word) {
                if names_baseline(&words, i) {
                    continue;
                }
                false
            } else {
                continue;
            };
            if is_reference(&words, i) {
                continue;
            }
            let denied = words[i.saturating_sub(3)..i]
                .iter()
                .any(|w| NEGATIONS.contains(&w.as_str()));
            claims.push((sentence.trim(), class != denied));
        }
    }
    claims
}

/// The first sentence of `text` that calls the traffic the opposite of the verdict.
pub(super) fn contradiction(text: &str, attack: bool) -> Option<String> {
    verdict_claims(text)
        .into_iter()
        .find(|&(_, class)| class != attack)
        .map(|(sentence, _)| sentence.to_owned())
}

/// Whether `text` says the verdict at all ("an attack", "normal").
pub(super) fn states_verdict(text: &str, attack: bool) -> bool {
    verdict_claims(text)
        .into_iter()
        .any(|(_, class)| class == attack)
}

/// Whether the verdict word at `i` refers to something rather than calls the traffic so:
/// "towards attack", "probability of an attack", "than normal".
pub(super) fn is_reference(words: &[String], i: usize) -> bool {
    let previous = |back: usize| i.checked_sub(back).map(|k| words[k].as_str());
    let reference = match previous(1) {
        Some(article) if ARTICLES.contains(&article) => previous(2),
        other => other,
    };
    reference.is_some_and(|p| REFERENCES.contains(&p))
}

/// Whether "normal" at `i` names the baseline ("normal traffic", "trafic normal") without the
/// sentence saying the window is such traffic.
pub(super) fn names_baseline(words: &[String], i: usize) -> bool {
    let next = words.get(i + 1).map(String::as_str);
    let previous = i.checked_sub(1).map(|k| words[k].as_str());
    (next.is_some_and(|n| BASELINE_NOUNS.contains(&n))
        || previous.is_some_and(|p| BASELINE_NOUNS_BEFORE.contains(&p)))
        && !words[i.saturating_sub(3)..i]
            .iter()
            .any(|w| EQUATES.contains(&w.as_str()))
}

/// The kinds of attack `text` names, as listed in [`ATTACK_KINDS`].
pub(super) fn attack_kinds(text: &str) -> Vec<String> {
    let lower = lower_words(text).join(" ");
    let padded = format!(" {lower} ");
    ATTACK_KINDS
        .iter()
        .filter(|kind| padded.contains(&format!(" {kind} ")))
        .map(|kind| (*kind).to_owned())
        .collect()
}

/// The words of `text`, lower-cased (apostrophes and hyphens split words: `l'attaque`).
pub(super) fn lower_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}
