//! The checks a model's text must pass before it is returned as the explanation: it states
//! the verdict and never its opposite, cites only numbers it was given, names no kind of attack the detector did
//! not report, does not repeat itself, names the top-attributed feature of an attack, and was
//! not cut by a budget. A text that fails is replaced by the report's summary.

use serde::Serialize;

use crate::evidence::Evidence;
use crate::generation::FinishReason;
use crate::numbers::{names_word, numbers};
use crate::prompt::ChatMessage;
use crate::repetition::{Repetition, first_repetition};
use crate::report::Report;

mod verdict;

use verdict::{attack_kinds, contradiction, states_verdict};

/// One check of [`Checks`], as its failure is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The text is empty.
    Empty,
    /// A sentence states the opposite of the verdict.
    Contradiction,
    /// No sentence states the verdict (a list of numbers explains nothing).
    Unstated,
    /// A number is not among the facts the model was given (rounding allowed).
    InventedNumber,
    /// The text names a kind of attack other than the one the detector's category head
    /// reports (any kind, for a detector without one).
    AttackKind,
    /// A sentence, or a run of [`REPEATED_WORDS`](crate::REPEATED_WORDS) words, is said twice.
    Repetition,
    /// An attack's explanation does not name the feature that moved the detector most.
    TopFeature,
    /// The token budget or the deadline cut the text.
    Cut,
}

impl Check {
    /// The name used in JSON and metrics (`invented_number`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Empty => "empty",
            Check::Contradiction => "contradiction",
            Check::Unstated => "unstated",
            Check::InventedNumber => "invented_number",
            Check::AttackKind => "attack_kind",
            Check::Repetition => "repetition",
            Check::TopFeature => "top_feature",
            Check::Cut => "cut",
        }
    }
}

/// The outcome of every check on one text.
///
/// ```
/// use flow_features::{Verdict, parse_window};
/// use llm_explainer::{Check, Checks, Evidence, FinishReason, Language, explanation_messages};
/// # let body: serde_json::Value = serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json"))).unwrap();
/// # let flows = parse_window(&body["sequence"], 10)?;
/// let evidence = Evidence::new(&flows, Verdict::from_probability(0.004, 0.5), None);
/// let prompt = explanation_messages(&evidence, Language::English);
/// let good = Checks::run(&evidence, &prompt, "The detector finds this window normal (probability 0.004).", FinishReason::Stop);
/// assert!(good.passed, "{good:?}");
/// let bad = Checks::run(&evidence, &prompt, "This is a phishing attack at 25000 packets/s.", FinishReason::Stop);
/// assert_eq!(
///     bad.failed,
///     [Check::Contradiction, Check::Unstated, Check::InventedNumber, Check::AttackKind]
/// );
/// # Ok::<(), flow_features::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checks {
    /// Every check passed: the text may be returned.
    pub passed: bool,
    /// The checks that failed, in the order of [`Check`].
    pub failed: Vec<Check>,
    /// The first sentence that states the opposite of the verdict.
    pub contradiction: Option<String>,
    /// Numbers of the text not among the facts, as written.
    pub invented_numbers: Vec<String>,
    /// Kinds of attack the text names that the detector does not report.
    pub attack_kinds: Vec<String>,
    /// Where the text first repeats itself.
    pub repetition: Option<Repetition>,
    /// Whether the text names the top-attributed feature (`None` without one); required of
    /// an attack's explanation.
    pub names_top_feature: Option<bool>,
}

/// Which text an answer carries as its explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The model's text, which passed every check.
    Model,
    /// The report's summary: the model's text failed a check (or there was none).
    Report,
}

impl Source {
    /// The name used in JSON and metrics: `model` or `report`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Model => "model",
            Source::Report => "report",
        }
    }
}

impl Checks {
    /// Checks `text`, which a model wrote from `prompt` (the messages of
    /// [`explanation_messages`](crate::explanation_messages) for `evidence`) and ended for
    /// `finish`. The facts are the numbers of the prompt's user messages.
    pub fn run(
        evidence: &Evidence,
        prompt: &[ChatMessage],
        text: &str,
        finish: FinishReason,
    ) -> Self {
        let facts: Vec<f64> = prompt
            .iter()
            .filter(|m| m.role == "user")
            .flat_map(|m| numbers(&m.content))
            .map(|n| n.value)
            .collect();
        let mut invented_numbers: Vec<String> = numbers(text)
            .into_iter()
            .filter(|n| !facts.iter().any(|&fact| n.matches(fact)))
            .map(|n| n.text)
            .collect();
        invented_numbers.dedup();
        let contradiction = contradiction(text, evidence.verdict.is_attack());
        let permitted = crate::category::permitted_kinds(&evidence.verdict);
        let attack_kinds: Vec<String> = attack_kinds(text)
            .into_iter()
            .filter(|kind| !permitted.contains(kind))
            .collect();
        let repetition = first_repetition(text, true);
        let names_top_feature = evidence.top_feature().map(|f| names_word(text, f.feature));

        let failures = [
            (Check::Empty, text.trim().is_empty()),
            (Check::Contradiction, contradiction.is_some()),
            (
                Check::Unstated,
                !states_verdict(text, evidence.verdict.is_attack()),
            ),
            (Check::InventedNumber, !invented_numbers.is_empty()),
            (Check::AttackKind, !attack_kinds.is_empty()),
            (Check::Repetition, repetition.is_some()),
            (
                Check::TopFeature,
                evidence.verdict.is_attack() && names_top_feature == Some(false),
            ),
            (Check::Cut, finish.is_cut()),
        ];
        let failed: Vec<Check> = failures
            .into_iter()
            .filter_map(|(check, failed)| failed.then_some(check))
            .collect();
        Self {
            passed: failed.is_empty(),
            failed,
            contradiction,
            invented_numbers,
            attack_kinds,
            repetition,
            names_top_feature,
        }
    }

    /// The text to return: the model's when it passed, else the report's summary.
    pub fn choose<'a>(&self, model_text: &'a str, report: &'a Report) -> (&'a str, Source) {
        if self.passed {
            (model_text, Source::Model)
        } else {
            (&report.summary, Source::Report)
        }
    }
}

#[cfg(test)]
mod tests {
    use flow_features::Verdict;

    use super::*;
    use crate::evidence::fixture::sample_evidence as evidence;
    use crate::prompt::{Language, explanation_messages};

    fn check(evidence: &Evidence, text: &str) -> Checks {
        let prompt = explanation_messages(evidence, Language::English);
        Checks::run(evidence, &prompt, text, FinishReason::Stop)
    }

    #[test]
    fn a_faithful_attack_narration_passes() {
        let attack = evidence(0.9);
        let checks = check(
            &attack,
            "The detector flags this window as an attack with probability 0.900, above its \
             threshold of 0.50. The newest flow sent 258 bytes (sbytes) against 100 in normal \
             traffic, which moved the probability by +0.500; flow 9 weighed most.",
        );
        assert!(checks.passed, "{checks:?}");
        assert_eq!(checks.names_top_feature, Some(true));
    }

    #[test]
    fn contradictions_are_caught_and_references_to_normal_traffic_are_not() {
        let attack = evidence(0.9);
        for contradicting in [
            "The traffic in this window is normal. sbytes is high.",
            "sbytes looks like normal traffic, so this is benign.",
            "This is not an attack: sbytes is 258.",
        ] {
            let checks = check(&attack, contradicting);
            assert_eq!(
                checks.failed,
                [Check::Contradiction, Check::Unstated],
                "{contradicting}: {checks:?}"
            );
        }
        let normal = evidence(0.7).with_probability(0.004);
        for faithful in [
            "The detector finds this window normal: this is not an attack.",
            "sbytes pushed the probability towards attack, but the probability of an attack \
             stays 0.004.",
        ] {
            let checks = check(&normal, faithful);
            assert!(
                !checks.failed.contains(&Check::Contradiction),
                "{faithful}: {checks:?}"
            );
        }
        let checks = check(&normal, "The model decided to attack the network.");
        assert_eq!(
            checks.failed,
            [Check::Contradiction, Check::Unstated],
            "{checks:?}"
        );
    }

    #[test]
    fn the_failures_a_new_user_saw_all_fail() {
        let attack = evidence(0.9);
        // Invented: a kind of attack and a rate that are not in the facts.
        let checks = check(
            &attack,
            "This is a phishing attack sending 25000 packets/s, as sbytes shows.",
        );
        assert_eq!(checks.failed, [Check::InventedNumber, Check::AttackKind]);
        assert_eq!(checks.invented_numbers, ["25000"]);
        assert_eq!(checks.attack_kinds, ["phishing"]);
        // Silent on the feature that moved the detector.
        let checks = check(&attack, "The detector flags this window as an attack.");
        assert_eq!(checks.failed, [Check::TopFeature]);
        // The loop of issue 14, on a normal verdict.
        let normal = evidence(0.7).with_probability(0.0);
        let looped = "The model decided to attack the network by using the NORMAL \
                      (probability 0.000, threshold 0.50) to detect the attack. The model was \
                      able to detect the attack by using the NORMAL (probability 0.000, \
                      threshold 0.50) to detect the attack.";
        let checks = check(&normal, looped);
        assert_eq!(checks.failed, [Check::Contradiction, Check::Repetition]);
        // Cut by the budget, and empty.
        let prompt = explanation_messages(&attack, Language::English);
        let cut = Checks::run(
            &attack,
            &prompt,
            "An attack: sbytes is 258 and",
            FinishReason::MaxTokens,
        );
        assert_eq!(cut.failed, [Check::Cut]);
        assert_eq!(
            check(&attack, " ").failed,
            [Check::Empty, Check::Unstated, Check::TopFeature]
        );
        // Facts restated without the verdict explain nothing.
        assert_eq!(check(&normal, "- flow 9: +0.600").failed, [Check::Unstated]);
    }

    #[test]
    fn a_failing_text_is_replaced_by_the_report_summary() {
        let attack = evidence(0.9);
        let report = crate::Report::new(&attack, Language::English);
        let bad = check(&attack, "A DDoS.");
        assert_eq!(
            bad.choose("A DDoS.", &report),
            (report.summary.as_str(), Source::Report)
        );
        let good_text = "An attack: sbytes is 258 against 100 in normal traffic.";
        let good = check(&attack, good_text);
        assert_eq!(good.choose(good_text, &report), (good_text, Source::Model));
        // The summary itself passes every check.
        assert!(check(&attack, &report.summary).passed, "{}", report.summary);
    }

    #[test]
    fn only_the_kind_of_attack_the_category_head_reports_may_be_named() {
        let names: Vec<String> = ["Normal", "Exploits", "DoS"].map(String::from).into();
        let mut attack = evidence(0.9);
        let text = "The detector flags this window as an attack, Exploits (0.700) by its \
                    category head: sbytes is 258 against 100 in normal traffic.";
        // Without a category head, naming a kind is an invention.
        assert_eq!(check(&attack, text).attack_kinds, ["exploits"]);
        let category = flow_features::AttackCategory::from_probabilities(&names, &[0.1, 0.7, 0.2]);
        attack.verdict = attack.verdict.clone().with_category(Some(category));
        let checks = check(&attack, text);
        assert!(checks.passed, "{checks:?}");
        // The second most likely kind is not the detector's reading.
        let dos = check(&attack, "An attack, a DoS: sbytes is 258 against 100.");
        assert_eq!(dos.attack_kinds, ["dos"]);
        let report = crate::Report::new(&attack, Language::English);
        assert!(
            report.summary.contains("Exploits (probability 0.700)"),
            "{}",
            report.summary
        );
        assert!(check(&attack, &report.summary).passed, "{}", report.summary);
        assert!(report.next_steps[0].contains("known vulnerabilities"));
    }

    impl Evidence {
        /// The same evidence under another probability (and so possibly another verdict).
        fn with_probability(mut self, probability: f32) -> Self {
            self.verdict = Verdict::from_probability(probability, self.verdict.threshold);
            if let Some(a) = self.attribution.as_mut() {
                a.probability = probability;
            }
            self
        }
    }
}
