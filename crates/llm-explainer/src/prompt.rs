//! The explanation prompt: a verdict, window statistics and the detector's attribution turned
//! into chat messages.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::glossary::meaning;
use crate::report::display_value;

/// Flows and features of the attribution the prompt cites, at most.
pub const CITED_INFLUENCES: usize = 3;

/// Language of the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English (default).
    #[default]
    English,
    /// French, as the original service.
    French,
}

/// One chat message (`system`, `user` or `assistant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    /// The speaker.
    pub role: String,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    fn new(role: &str, content: String) -> Self {
        Self {
            role: role.to_owned(),
            content,
        }
    }
}

/// The messages asking a model to narrate a verdict from its `evidence`.
///
/// The task is short on purpose (two or three sentences that name what moved the detector):
/// a small model that writes less invents less, and every fact it may cite is in the user
/// message, which is what [`Checks`](crate::Checks) hold its text to. The system message is
/// the same for every request (so a server can cache its evaluation); the user message carries
/// the verdict, the attribution's top [`CITED_INFLUENCES`] features and flows with their values
/// against normal traffic, and the window's protocols, services and states.
///
/// ```
/// use flow_features::{Verdict, parse_window};
/// use llm_explainer::{Evidence, Language, explanation_messages};
/// # let body: serde_json::Value = serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json"))).unwrap();
/// # let flows = parse_window(&body["sequence"], 10).unwrap();
/// let evidence = Evidence::new(&flows, Verdict::from_probability(0.97, 0.5), None);
/// let messages = explanation_messages(&evidence, Language::English);
/// assert!(messages[1].content.starts_with("Verdict: ATTACK (probability 0.970, threshold 0.50)"));
/// ```
pub fn explanation_messages(evidence: &Evidence, language: Language) -> Vec<ChatMessage> {
    let verdict = &evidence.verdict;
    let text = Text::of(language);
    let label = if verdict.is_attack() {
        text.attack
    } else {
        text.normal
    };
    let mut user = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        user,
        "{} {label} ({} {:.3}, {} {:.2}).",
        text.verdict, text.probability, verdict.probability, text.threshold, verdict.threshold
    );
    // Only the most likely kind, and none for a normal verdict read as normal traffic (its
    // probability is the verdict's): SmolLM2 named the runners-up of a listing as if they
    // were the verdict (14 of 100 texts in `explain-eval`). The summary reports the same.
    if let Some(category) = crate::category::reported(verdict) {
        let _ = writeln!(
            user,
            "{} {} ({} {:.3}).",
            text.category, category.name, text.probability, category.probability
        );
    }
    let features: Vec<_> = evidence.cited_features().take(CITED_INFLUENCES).collect();
    let flows: Vec<_> = evidence.cited_flows().take(CITED_INFLUENCES).collect();
    if !features.is_empty() || !flows.is_empty() {
        let _ = writeln!(user, "{}", text.attribution);
    }
    for f in &features {
        let _ = writeln!(
            user,
            "- {} ({}): {} {} {}, {:+.3}",
            f.feature,
            meaning(f.feature, language),
            display_value(&f.last_value),
            text.against,
            display_value(&f.baseline_value),
            f.delta
        );
    }
    for (flow, delta) in &flows {
        let _ = writeln!(user, "- {} {flow}: {delta:+.3}", text.flow);
    }
    let stats = &evidence.statistics;
    let counts = |counts: &std::collections::BTreeMap<String, usize>| {
        counts
            .iter()
            .map(|(value, n)| format!("{value} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        user,
        "{} {} (proto {}; service {}; state {}).",
        text.window,
        stats.count,
        counts(&stats.protocols),
        counts(&stats.services),
        counts(&stats.states)
    );
    let task = match (verdict.is_attack(), features.first()) {
        (true, Some(top)) => format!("{} {}.", text.ask_attack, top.feature),
        (true, None) => text.ask_attack_plain.to_owned(),
        (false, _) => text.ask_normal.to_owned(),
    };
    let _ = write!(user, "{} {task}", text.task);
    // The answer opens with the verdict, stated as the facts have it; the model continues
    // with the why. A small model that starts from the verdict rarely contradicts it.
    let p = verdict.probability;
    let opening = match (verdict.is_attack(), features.first()) {
        (true, Some(top)) => format!(
            "{} ({} {p:.3}). {} {}",
            text.opens_attack, text.probability, text.opens_why, top.feature
        ),
        (true, None) => format!("{} ({} {p:.3})", text.opens_attack, text.probability),
        (false, _) => format!(
            "{} ({} {p:.3})",
            text.opens_normal, text.probability_of_attack
        ),
    };
    vec![
        ChatMessage::new("system", text.system.to_owned()),
        ChatMessage::new("user", user),
        ChatMessage::new("assistant", opening),
    ]
}

/// The messages before a trailing `assistant` message, and that message's text: the opening
/// of the answer, which a local model continues.
pub(crate) fn split_opening(messages: &[ChatMessage]) -> (&[ChatMessage], Option<&str>) {
    match messages.split_last() {
        Some((last, rest)) if last.role == "assistant" => (rest, Some(last.content.as_str())),
        _ => (messages, None),
    }
}

struct Text {
    system: &'static str,
    verdict: &'static str,
    attack: &'static str,
    normal: &'static str,
    probability: &'static str,
    threshold: &'static str,
    attribution: &'static str,
    against: &'static str,
    flow: &'static str,
    window: &'static str,
    task: &'static str,
    ask_attack: &'static str,
    ask_attack_plain: &'static str,
    ask_normal: &'static str,
    opens_attack: &'static str,
    opens_normal: &'static str,
    opens_why: &'static str,
    probability_of_attack: &'static str,
    category: &'static str,
}

impl Text {
    fn of(language: Language) -> Self {
        match language {
            Language::English => Text {
                system: "You are a network security analyst. You explain the verdict of a \
                         network anomaly detector to a SOC analyst in two or three short \
                         sentences. Use only the facts given: copy feature names and numbers \
                         exactly, add no other number, and do not guess a kind of attack.",
                verdict: "Verdict:",
                attack: "ATTACK",
                normal: "NORMAL",
                probability: "probability",
                threshold: "threshold",
                attribution: "What moved the detector most, replaced by normal traffic (value \
                              in the newest flow against normal traffic, then the change in \
                              probability; positive = towards attack):",
                against: "against",
                flow: "flow",
                window: "Flows in the window:",
                task: "Task:",
                ask_attack: "in two or three sentences, say that the detector flags this \
                             window as an attack and why, naming",
                ask_attack_plain: "in two or three sentences, say that the detector flags this \
                                   window as an attack.",
                ask_normal: "in two or three sentences, say that the detector finds this window \
                             normal, and what pushed it most.",
                opens_attack: "The detector flags this window as an attack",
                opens_normal: "The detector finds this window normal",
                opens_why: "What moved it most is",
                probability_of_attack: "probability of attack",
                category: "Kind of attack, from the detector's category head:",
            },
            Language::French => Text {
                system: "Tu es un analyste en sécurité réseau. Tu expliques le verdict d'un \
                         détecteur d'anomalies réseau à un analyste SOC en deux ou trois phrases \
                         courtes. N'utilise que les faits donnés : recopie exactement les noms \
                         d'attributs et les chiffres, n'ajoute aucun autre chiffre et ne devine \
                         pas le type d'attaque. Réponds en français.",
                verdict: "Verdict :",
                attack: "ATTAQUE",
                normal: "NORMAL",
                probability: "probabilité",
                threshold: "seuil",
                attribution: "Ce qui a le plus fait bouger le détecteur, remplacé par du \
                              trafic normal (valeur dans le flux le plus récent contre trafic \
                              normal, puis la variation de probabilité ; positif = vers \
                              l'attaque) :",
                against: "contre",
                flow: "flux",
                window: "Flux dans la fenêtre :",
                task: "Tâche :",
                ask_attack: "en deux ou trois phrases, dis que le détecteur signale cette \
                             fenêtre comme une attaque et pourquoi, en nommant",
                ask_attack_plain: "en deux ou trois phrases, dis que le détecteur signale cette \
                                   fenêtre comme une attaque.",
                ask_normal: "en deux ou trois phrases, dis que le détecteur juge cette fenêtre \
                             normale, et ce qui l'a le plus fait bouger.",
                opens_attack: "Le détecteur signale cette fenêtre comme une attaque",
                opens_normal: "Le détecteur juge cette fenêtre normale",
                opens_why: "Ce qui l'a le plus fait bouger est",
                probability_of_attack: "probabilité d'attaque",
                category: "Type d'attaque, selon la tête de catégorie du détecteur :",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::fixture::sample_evidence;

    #[test]
    fn the_prompt_cites_the_top_influences_and_skips_negligible_ones() {
        let evidence = sample_evidence(0.9);
        let user = &explanation_messages(&evidence, Language::English)[1].content;
        assert!(
            user.contains("- sbytes (bytes from the source): 258 against 100, +0.500"),
            "{user}"
        );
        assert!(user.contains("- flow 9: +0.600"), "{user}");
        assert!(!user.contains("dur"), "{user}");
        assert!(
            user.ends_with("as an attack and why, naming sbytes."),
            "{user}"
        );
        let french = &explanation_messages(&evidence, Language::French)[1].content;
        assert!(
            french.starts_with("Verdict : ATTAQUE (probabilité 0.900"),
            "{french}"
        );
    }

    #[test]
    fn the_prompt_names_only_an_attacks_most_likely_kind() {
        let names = ["Normal", "Exploits", "DoS", "Fuzzers"].map(String::from);
        let with_head = |probability: f32| {
            let mut evidence = sample_evidence(probability);
            let attack = evidence.verdict.is_attack();
            let head = [0.5, 0.3, 0.15, 0.05];
            let category =
                flow_features::AttackCategory::given_verdict(&names, &head, 0, probability, attack);
            evidence.verdict = evidence.verdict.clone().with_category(Some(category));
            explanation_messages(&evidence, Language::English)[1]
                .content
                .clone()
        };
        let attack = with_head(0.9);
        // 0.9 · 0.3 / 0.5 of the attack share.
        assert!(
            attack.contains("\nKind of attack, from the detector's category head: Exploits (probability 0.540).\n"),
            "{attack}"
        );
        assert!(
            !attack.contains("DoS") && !attack.contains("Fuzzers"),
            "{attack}"
        );
        let normal = with_head(0.1);
        assert!(
            !normal.contains("category") && !normal.contains("Normal"),
            "{normal}"
        );
    }
}
