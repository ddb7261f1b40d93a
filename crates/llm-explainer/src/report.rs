//! The grounded report: what the detector's own output says about a verdict, in plain words,
//! built without any language model. Deterministic, and true by construction: every number in
//! it is the verdict's, the attribution's or the window's.

use std::fmt::Write;

use flow_features::Verdict;
use serde::Serialize;
use serde_json::Value;

use crate::evidence::Evidence;
use crate::glossary::meaning;
use crate::next_steps::next_steps;
use crate::prompt::Language;

/// Features and flows the summary names, at most.
const SUMMARY_INFLUENCES: usize = 3;

/// Evidence items the report lists, at most.
const LISTED_INFLUENCES: usize = 8;

/// The report on one verdict.
///
/// ```
/// use flow_features::{Verdict, parse_window};
/// use llm_explainer::{Evidence, Language, Report};
/// # let body: serde_json::Value = serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json"))).unwrap();
/// let flows = parse_window(&body["sequence"], 10)?;
/// let evidence = Evidence::new(&flows, Verdict::from_probability(0.004, 0.5), None);
/// let report = Report::new(&evidence, Language::English);
/// assert!(report.summary.starts_with("Normal: the detector finds the newest flow"));
/// assert!(report.summary.contains("probability of attack 0.004"));
/// # Ok::<(), flow_features::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// One paragraph: the verdict, how far from the threshold, and what moved the detector,
    /// each influence with its value against the normal baseline.
    pub summary: String,
    /// What moved the detector, largest change first (the attribution's features and flows;
    /// without an attribution, the flows that stand out in the window).
    pub evidence: Vec<EvidenceItem>,
    /// What an analyst would check next, for this kind of evidence.
    pub next_steps: Vec<String>,
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceItem {
    /// `feature` (replaced across the window), `flow` (replaced whole), or `standout` (a flow's
    /// value far above the window's median; no attribution).
    pub kind: EvidenceKind,
    /// The feature (`sbytes`), or the flow (`flow 9`; 0 is the oldest).
    pub name: String,
    /// What it is, in words.
    pub meaning: String,
    /// The newest flow's value of the feature; for a flow or a standout, the flow's summary.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
    /// What normal traffic has instead (the model's baseline; for a standout, the window's
    /// median).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub baseline: Value,
    /// Change in the probability of attack that it caused (positive: towards attack); `None`
    /// for a standout.
    pub delta: Option<f32>,
}

/// What an [`EvidenceItem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A feature, replaced by its baseline value in every flow.
    Feature,
    /// A flow, replaced by the baseline flow.
    Flow,
    /// A flow whose value stands out in the window.
    Standout,
}

impl Report {
    /// The report on `evidence`, in `language`.
    pub fn new(evidence: &Evidence, language: Language) -> Self {
        let words = Words::of(language);
        Self {
            summary: summary(evidence, &words, language),
            evidence: items(evidence, &words, language),
            next_steps: next_steps(evidence, language),
        }
    }
}

/// How far the probability sits from the threshold, in words.
fn distance(verdict: &Verdict, words: &Words) -> &'static str {
    let gap = (verdict.probability - verdict.threshold).abs();
    let decided = if verdict.is_attack() {
        verdict.probability >= 0.9
    } else {
        verdict.probability <= 0.1
    };
    match (decided, gap < 0.1) {
        (true, _) => words.far,
        (false, true) => words.close,
        (false, false) => words.clear,
    }
}

fn summary(evidence: &Evidence, words: &Words, language: Language) -> String {
    let verdict = &evidence.verdict;
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "{}",
        opening(
            language,
            verdict,
            evidence.statistics.count,
            distance(verdict, words)
        )
    );
    if let Some(sentence) = crate::category::sentence(verdict, language) {
        let _ = write!(text, " {sentence}");
    }
    if evidence.attribution.is_none() {
        let _ = write!(text, " {}", words.no_attribution);
        return text;
    }
    let features: Vec<String> = evidence
        .cited_features()
        .take(SUMMARY_INFLUENCES)
        .map(|f| {
            // Compact, so that two features with equal values never repeat a long phrase.
            format!(
                "{} ({}) {} {} {}, {:+.3}",
                f.feature,
                meaning(f.feature, language),
                display_value(&f.last_value),
                words.against,
                display_value(&f.baseline_value),
                f.delta,
            )
        })
        .collect();
    if features.is_empty() {
        let _ = write!(text, " {}", words.nothing_moved);
        return text;
    }
    let _ = write!(text, " {} {}.", words.moved_most, features.join("; "));
    let flows: Vec<String> = evidence
        .cited_flows()
        .take(SUMMARY_INFLUENCES)
        .map(|(flow, delta)| format!("{} {} ({:+.3})", words.flow, flow, delta))
        .collect();
    if !flows.is_empty() {
        let _ = write!(text, " {} {}.", words.flows_weighed, flows.join(", "));
    }
    text
}

fn items(evidence: &Evidence, words: &Words, language: Language) -> Vec<EvidenceItem> {
    let Some(attribution) = &evidence.attribution else {
        return evidence
            .statistics
            .standouts
            .iter()
            .take(LISTED_INFLUENCES)
            .map(|s| EvidenceItem {
                kind: EvidenceKind::Standout,
                name: format!("{} {}", words.flow, s.flow),
                meaning: format!("{} ({})", s.feature, meaning(s.feature, language)),
                value: number(s.value),
                baseline: number(s.median),
                delta: None,
            })
            .collect();
    };
    let features = evidence.cited_features().map(|f| EvidenceItem {
        kind: EvidenceKind::Feature,
        name: f.feature.to_owned(),
        meaning: meaning(f.feature, language).to_owned(),
        value: f.last_value.clone(),
        baseline: f.baseline_value.clone(),
        delta: Some(f.delta),
    });
    let baseline = describe_baseline(attribution);
    let flows = evidence.cited_flows().map(|(flow, delta)| EvidenceItem {
        kind: EvidenceKind::Flow,
        name: format!("{} {}", words.flow, flow),
        meaning: words.whole_flow.to_owned(),
        value: Value::String(describe_flow(&evidence.flows[flow])),
        baseline: Value::String(baseline.clone()),
        delta: Some(delta),
    });
    let mut all: Vec<EvidenceItem> = features.chain(flows).collect();
    // Stable: features before flows at equal influence.
    all.sort_by(|a, b| {
        let size = |i: &EvidenceItem| i.delta.map_or(0.0, f32::abs);
        size(b).total_cmp(&size(a))
    });
    all.truncate(LISTED_INFLUENCES);
    all
}

/// A flow in one line: protocol, service, state, packets and bytes each way, duration.
fn describe_flow(flow: &flow_features::FlowRecord) -> String {
    format!(
        "{}/{} {}, {} → {} packets, {} → {} bytes, {} s",
        flow.proto,
        flow.service,
        flow.state,
        display_number(flow.spkts),
        display_number(flow.dpkts),
        display_number(flow.sbytes),
        display_number(flow.dbytes),
        display_number(flow.dur),
    )
}

/// The baseline flow in the same line, from the attribution's baseline values.
fn describe_baseline(attribution: &flow_features::Attribution) -> String {
    let value = |name: &str| {
        attribution
            .features
            .iter()
            .find(|f| f.feature == name)
            .map_or_else(|| "?".to_owned(), |f| display_value(&f.baseline_value))
    };
    format!(
        "{}/{} {}, {} → {} packets, {} → {} bytes, {} s",
        value("proto"),
        value("service"),
        value("state"),
        value("spkts"),
        value("dpkts"),
        value("sbytes"),
        value("dbytes"),
        value("dur"),
    )
}

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// A feature value as the report and the prompt print it: whole numbers without decimals,
/// others with four.
pub(crate) fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), display_number),
        other => other.to_string(),
    }
}

pub(crate) fn display_number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    }
}

/// The first sentence: the verdict, its probability and threshold, how far apart they are.
fn opening(language: Language, verdict: &Verdict, flows: usize, distance: &str) -> String {
    let (p, t) = (verdict.probability, verdict.threshold);
    match (language, verdict.is_attack()) {
        (Language::English, true) => format!(
            "Attack: the detector judges the newest flow of this window of {flows} flows to be \
             part of an attack, with probability {p:.3}, above its threshold of {t:.2} \
             ({distance})."
        ),
        (Language::English, false) => format!(
            "Normal: the detector finds the newest flow of this window of {flows} flows normal, \
             with probability of attack {p:.3}, below its threshold of {t:.2} ({distance})."
        ),
        (Language::French, true) => format!(
            "Attaque : le détecteur juge que le flux le plus récent de cette fenêtre de {flows} \
             flux fait partie d'une attaque, avec une probabilité de {p:.3}, au-dessus de son \
             seuil de {t:.2} ({distance})."
        ),
        (Language::French, false) => format!(
            "Normal : le détecteur juge normal le flux le plus récent de cette fenêtre de \
             {flows} flux, avec une probabilité d'attaque de {p:.3}, sous son seuil de {t:.2} \
             ({distance})."
        ),
    }
}

/// The report's fixed words, per language.
struct Words {
    far: &'static str,
    clear: &'static str,
    close: &'static str,
    no_attribution: &'static str,
    nothing_moved: &'static str,
    moved_most: &'static str,
    against: &'static str,
    flow: &'static str,
    flows_weighed: &'static str,
    whole_flow: &'static str,
}

impl Words {
    fn of(language: Language) -> Self {
        match language {
            Language::English => Words {
                far: "far from the threshold",
                clear: "clearly on its side of the threshold",
                close: "close to the threshold: a weak verdict",
                no_attribution: "The model has no normal-traffic baseline, so what moved it is not measured; the flows that stand out in the window are listed instead.",
                nothing_moved: "No feature moved the probability noticeably when replaced by normal traffic.",
                moved_most: "What moved it most, replaced by normal traffic (value in the newest \
                             flow against normal traffic, then the change in probability):",
                against: "against",
                flow: "flow",
                flows_weighed: "Among the flows (numbered from zero, the oldest), the ones that weighed most:",
                whole_flow: "the whole flow, replaced by a normal one",
            },
            Language::French => Words {
                far: "loin du seuil",
                clear: "nettement de son côté du seuil",
                close: "près du seuil : un verdict faible",
                no_attribution: "Le modèle n'a pas de référence de trafic normal : ce qui l'a fait bouger n'est pas mesuré ; les flux qui ressortent de la fenêtre sont listés à la place.",
                nothing_moved: "Aucun attribut, remplacé par du trafic normal, n'a fait varier la probabilité de façon notable.",
                moved_most: "Ce qui l'a le plus fait bouger, remplacé par du trafic normal \
                             (valeur dans le flux le plus récent contre trafic normal, puis la \
                             variation de probabilité) :",
                against: "contre",
                flow: "flux",
                flows_weighed: "Parmi les flux (numérotés à partir de zéro, le plus ancien), ceux qui ont pesé le plus :",
                whole_flow: "le flux entier, remplacé par un flux normal",
            },
        }
    }
}
