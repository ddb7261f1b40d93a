//! The category head's metrics on a part's windows, as `train` records them in the card and
//! `evaluate` reports them: per-category precision/recall/F1, the confusion matrix, and how
//! often the category is right when the binary verdict is.

use std::fmt::Write as _;

use lstm_detector::{CategoryEvaluation, Detector, Verdict};
use serde::{Deserialize, Serialize};

use crate::protocol::Part;

/// A category head's evaluation on one part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CategoryReport {
    #[serde(flatten)]
    pub evaluation: CategoryEvaluation,
    /// Windows left out because their category is not among the head's.
    pub unknown_categories: usize,
}

/// Evaluates the categories of `verdicts` (one per window of `part`, from its
/// `sequence_length`-th row on) against the part's own; `None` when the detector has no
/// category head or the part no categories.
pub fn evaluate(detector: &Detector, verdicts: &[Verdict], part: &Part) -> Option<CategoryReport> {
    let names = detector.categories()?;
    let truth = part.category_indices(names)?;
    let skip = detector.sequence_length().saturating_sub(1);
    let (mut predicted, mut actual, mut verdict_right) = (Vec::new(), Vec::new(), Vec::new());
    let mut unknown_categories = 0;
    for ((verdict, truth), &label) in verdicts
        .iter()
        .zip(&truth[skip..])
        .zip(&part.labels[skip..])
    {
        let (Some(truth), Some(category)) = (truth, &verdict.category) else {
            unknown_categories += 1;
            continue;
        };
        let Some(index) = names.iter().position(|n| *n == category.name) else {
            unknown_categories += 1;
            continue;
        };
        predicted.push(index);
        actual.push(*truth);
        verdict_right.push(verdict.class == label);
    }
    Some(CategoryReport {
        evaluation: CategoryEvaluation::new(names, &predicted, &actual, &verdict_right),
        unknown_categories,
    })
}

/// Markdown: the per-category table, the summary line and the confusion matrix.
pub fn table(report: &CategoryReport) -> String {
    let e = &report.evaluation;
    let mut md = String::new();
    let _ = writeln!(md, "| category | precision | recall | F1 | windows |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    for c in &e.categories {
        let _ = writeln!(
            md,
            "| {} | {:.4} | {:.4} | {:.4} | {} |",
            c.name, c.precision, c.recall, c.f1, c.support
        );
    }
    let _ = writeln!(
        md,
        "\naccuracy **{:.4}**, weighted F1 **{:.4}**, macro F1 **{:.4}** over {} categories on \
         {} windows; the category is right on **{:.4}** of the {} windows whose binary verdict \
         is right",
        e.accuracy,
        e.weighted_f1,
        e.macro_f1,
        e.categories.len(),
        e.windows,
        e.right_when_verdict_right,
        e.verdict_right
    );
    if report.unknown_categories > 0 {
        let _ = writeln!(
            md,
            "({} windows left out: their category is not among the head's)",
            report.unknown_categories
        );
    }
    let names: Vec<&str> = e.categories.iter().map(|c| c.name.as_str()).collect();
    let _ = writeln!(md, "\n| actual \\ predicted | {} |", names.join(" | "));
    let _ = writeln!(md, "|---|{}", "---:|".repeat(names.len()));
    for (name, row) in names.iter().zip(&e.confusion) {
        let cells: Vec<String> = row.iter().map(usize::to_string).collect();
        let _ = writeln!(md, "| {name} | {} |", cells.join(" | "));
    }
    md
}
