//! The explanation prompt: a verdict, window statistics and the detector's attribution turned
//! into chat messages.

use std::fmt::Write;

use flow_features::{Attribution, WindowStatistics};
use serde::{Deserialize, Serialize};

/// The detector's verdict on a window, as the prompt reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Verdict {
    /// Probability of attack.
    pub probability: f32,
    /// `1` attack, `0` normal.
    pub class: u8,
    /// Decision threshold.
    pub threshold: f32,
}

/// Everything the explanation may rely on: the verdict, what the window looks like and, when
/// the detector has a baseline, which flows and features moved its probability.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The detector's verdict.
    pub verdict: Verdict,
    /// Summary statistics of the window.
    pub statistics: &'a WindowStatistics,
    /// Occlusion attribution (see [`Detector::attribute`](https://docs.rs/lstm-detector)).
    pub attribution: Option<&'a Attribution>,
}

/// Flows and features of the attribution the prompt cites, at most.
pub const CITED_INFLUENCES: usize = 3;

/// Smallest probability change the prompt cites (it prints three decimals).
const CITED_MIN_DELTA: f32 = 0.001;

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

/// The messages asking a model to explain a verdict from its `evidence`.
///
/// The system message is the same for every request (so a server can cache its evaluation);
/// the user message carries the numbers, and the attribution's top
/// [`CITED_INFLUENCES`] flows and features so the text can cite what the detector used.
///
/// ```
/// use llm_explainer::{explanation_messages, Evidence, Language, Verdict};
/// # let body: serde_json::Value = serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json"))).unwrap();
/// # let flows = flow_features::parse_window(&body["sequence"], 10).unwrap();
/// let statistics = flow_features::WindowStatistics::from_flows(&flows);
/// let evidence = Evidence {
///     verdict: Verdict { probability: 0.97, class: 1, threshold: 0.5 },
///     statistics: &statistics,
///     attribution: None,
/// };
/// let messages = explanation_messages(&evidence, Language::English);
/// assert!(messages[1].content.contains("ATTACK (probability 0.970"));
/// ```
pub fn explanation_messages(evidence: &Evidence<'_>, language: Language) -> Vec<ChatMessage> {
    let (verdict, stats) = (&evidence.verdict, evidence.statistics);
    let text = Text::of(language);
    let label = if verdict.class == 1 {
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
    if let Some(attribution) = evidence.attribution {
        write_attribution(&mut user, attribution, &text);
    }
    let _ = writeln!(user, "{} {}", text.flows, stats.count);
    let _ = writeln!(
        user,
        "dur (s): mean {:.6}, min {:.6}, max {:.6}",
        stats.dur_mean, stats.dur_min, stats.dur_max
    );
    let _ = writeln!(
        user,
        "rate (pkt/s): mean {:.1}, min {:.1}, max {:.1}",
        stats.rate_mean, stats.rate_min, stats.rate_max
    );
    let _ = writeln!(
        user,
        "spkts mean {:.1}, dpkts mean {:.1}",
        stats.spkts_mean, stats.dpkts_mean
    );
    let _ = writeln!(
        user,
        "{} {:.0} / {:.0}",
        text.bytes, stats.sbytes_total, stats.dbytes_total
    );
    let _ = writeln!(user, "HTTP: {:.0} %", stats.http_pct);
    for (name, counts) in [
        ("proto", &stats.protocols),
        ("service", &stats.services),
        ("state", &stats.states),
    ] {
        let list: Vec<String> = counts
            .iter()
            .map(|(value, n)| format!("{value} ×{n}"))
            .collect();
        let _ = writeln!(user, "{name}: {}", list.join(", "));
    }
    for s in stats.standouts.iter().take(5) {
        let _ = writeln!(
            user,
            "{} {}: {} = {:.1} ({} {:.1})",
            text.standout, s.flow, s.feature, s.value, text.median, s.median
        );
    }
    let ask = if evidence.attribution.is_some() {
        text.ask_attributed
    } else {
        text.ask
    };
    let _ = write!(user, "{ask}");
    vec![
        ChatMessage::new("system", text.system.to_owned()),
        ChatMessage::new("user", user),
    ]
}

/// The most influential features and flows, with signed probability changes.
fn write_attribution(user: &mut String, attribution: &Attribution, text: &Text) {
    let _ = writeln!(user, "{}", text.attribution);
    for f in attribution
        .features
        .iter()
        .take(CITED_INFLUENCES)
        .filter(|f| f.delta.abs() >= CITED_MIN_DELTA)
    {
        let _ = writeln!(
            user,
            "- {} {} ({} {}, {} {}): {:+.3}",
            text.feature,
            f.feature,
            text.newest,
            display_value(&f.last_value),
            text.baseline,
            display_value(&f.baseline_value),
            f.delta
        );
    }
    for f in attribution
        .flows
        .iter()
        .take(CITED_INFLUENCES)
        .filter(|f| f.delta.abs() >= CITED_MIN_DELTA)
    {
        let _ = writeln!(user, "- {} {}: {:+.3}", text.standout, f.flow, f.delta);
    }
}

fn display_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
            Some(x) => format!("{x:.4}"),
            None => n.to_string(),
        },
        other => other.to_string(),
    }
}

struct Text {
    system: &'static str,
    verdict: &'static str,
    attack: &'static str,
    normal: &'static str,
    probability: &'static str,
    threshold: &'static str,
    flows: &'static str,
    bytes: &'static str,
    standout: &'static str,
    median: &'static str,
    attribution: &'static str,
    feature: &'static str,
    newest: &'static str,
    baseline: &'static str,
    ask: &'static str,
    ask_attributed: &'static str,
}

impl Text {
    fn of(language: Language) -> Self {
        match language {
            Language::English => Text {
                system: "You are a network security analyst. You explain the verdict of an LSTM \
                         anomaly detector on a window of 10 network flows (UNSW-NB15 features) to a \
                         SOC analyst. Be concise and factual; use only the numbers given.",
                verdict: "Detector verdict:",
                attack: "ATTACK",
                normal: "NORMAL",
                probability: "probability",
                threshold: "threshold",
                flows: "Flows in the window:",
                bytes: "Bytes source→destination / destination→source:",
                standout: "Flow",
                median: "window median",
                attribution: "What moved the detector (change in probability when replaced by \
                              typical normal traffic; positive = towards attack):",
                feature: "feature",
                newest: "newest flow",
                baseline: "normal",
                ask: "In three short paragraphs: 1) why the model likely decided so, 2) which \
                      network patterns stand out, 3) what the analyst should check next.",
                ask_attributed: "In three short paragraphs: 1) why the model decided so, naming \
                                 the features that moved it most, 2) which network patterns \
                                 stand out, 3) what the analyst should check next.",
            },
            Language::French => Text {
                system: "Tu es un analyste en sécurité réseau. Tu expliques le verdict d'un \
                         détecteur d'anomalies LSTM sur une fenêtre de 10 flux réseau (attributs \
                         UNSW-NB15) à un analyste SOC. Sois concis et factuel ; n'utilise que les \
                         chiffres fournis.",
                verdict: "Verdict du détecteur :",
                attack: "ATTAQUE",
                normal: "NORMAL",
                probability: "probabilité",
                threshold: "seuil",
                flows: "Flux dans la fenêtre :",
                bytes: "Octets source→destination / destination→source :",
                standout: "Flux",
                median: "médiane de la fenêtre",
                attribution: "Ce qui a fait bouger le détecteur (variation de la probabilité \
                              quand on remplace par du trafic normal typique ; positif = vers \
                              l'attaque) :",
                feature: "attribut",
                newest: "flux le plus récent",
                baseline: "normal",
                ask: "En trois paragraphes courts : 1) pourquoi le modèle a probablement décidé \
                      ainsi, 2) quels motifs réseau ressortent, 3) ce que l'analyste doit vérifier \
                      ensuite. Réponds en français.",
                ask_attributed: "En trois paragraphes courts : 1) pourquoi le modèle a décidé \
                                 ainsi, en nommant les attributs qui l'ont le plus fait bouger, \
                                 2) quels motifs réseau ressortent, 3) ce que l'analyste doit \
                                 vérifier ensuite. Réponds en français.",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flow_features::{Attribution, parse_window};

    #[test]
    fn the_prompt_cites_the_top_influences_and_skips_negligible_ones() {
        let body: serde_json::Value = serde_json::from_str(include_str!(
            "../../flow-features/tests/fixtures/sample_request.json"
        ))
        .unwrap();
        let flows = parse_window(&body["sequence"], 10).unwrap();
        let mut baseline = flows[0].clone();
        baseline.sbytes = 100.0;
        let mut probabilities = vec![0.9_f32; 45];
        probabilities[1 + 9] = 0.3; // flow 9: +0.600
        let sbytes = flow_features::feature_index("sbytes").unwrap();
        probabilities[11 + sbytes] = 0.4; // sbytes: +0.500
        probabilities[11] = 0.8996; // dur: +0.0004, too small to cite
        let attribution = Attribution::from_probabilities(&flows, &baseline, &probabilities);
        let statistics = WindowStatistics::from_flows(&flows);
        let evidence = Evidence {
            verdict: Verdict {
                probability: 0.9,
                class: 1,
                threshold: 0.5,
            },
            statistics: &statistics,
            attribution: Some(&attribution),
        };
        let user = &explanation_messages(&evidence, Language::English)[1].content;
        assert!(
            user.contains("- feature sbytes (newest flow 258, normal 100): +0.500"),
            "{user}"
        );
        assert!(user.contains("- Flow 9: +0.600"), "{user}");
        assert!(!user.contains("feature dur"), "{user}");
        assert!(user.contains("naming the features that moved it most"));
    }
}
