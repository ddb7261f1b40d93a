//! The explanation prompt: a verdict and window statistics turned into chat messages.

use std::fmt::Write;

use flow_features::WindowStatistics;
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

/// Language of the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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

/// The messages asking a model to explain `verdict` for a window with `stats`.
///
/// The system message is the same for every request (so a server can cache its evaluation);
/// the user message carries the numbers.
///
/// ```
/// use llm_explainer::{explanation_messages, Language, Verdict};
/// # let body: serde_json::Value = serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json"))).unwrap();
/// # let flows = flow_features::parse_window(&body["sequence"], 10).unwrap();
/// let stats = flow_features::WindowStatistics::from_flows(&flows);
/// let verdict = Verdict { probability: 0.97, class: 1, threshold: 0.5 };
/// let messages = explanation_messages(&verdict, &stats, Language::English);
/// assert!(messages[1].content.contains("ATTACK (probability 0.970"));
/// ```
pub fn explanation_messages(
    verdict: &Verdict,
    stats: &WindowStatistics,
    language: Language,
) -> Vec<ChatMessage> {
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
    let _ = write!(user, "{}", text.ask);
    vec![
        ChatMessage::new("system", text.system.to_owned()),
        ChatMessage::new("user", user),
    ]
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
    ask: &'static str,
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
                ask: "In three short paragraphs: 1) why the model likely decided so, 2) which \
                      network patterns stand out, 3) what the analyst should check next.",
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
                ask: "En trois paragraphes courts : 1) pourquoi le modèle a probablement décidé \
                      ainsi, 2) quels motifs réseau ressortent, 3) ce que l'analyste doit vérifier \
                      ensuite. Réponds en français.",
            },
        }
    }
}
