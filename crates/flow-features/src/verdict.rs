//! A detector's verdict on a window, as every layer above the detector reports it.

use serde::Serialize;

/// The verdict on one window: about its newest flow, given the flows before it.
///
/// ```
/// use flow_features::Verdict;
/// let verdict = Verdict::from_probability(0.97, 0.5);
/// assert_eq!((verdict.class, verdict.label()), (1, "attack"));
/// assert!(verdict.category.is_none()); // a detector without a category head
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// Probability that the window's last flow is part of an attack.
    pub probability: f32,
    /// `1` (attack) when `probability > threshold`, else `0` (normal).
    pub class: u8,
    /// The decision threshold applied.
    pub threshold: f32,
    /// What kind of traffic the detector's category head says the last flow is, when the
    /// model has one. Computed beside `probability`, not from it: the two may disagree.
    pub category: Option<AttackCategory>,
}

impl Verdict {
    /// The verdict for `probability` under `threshold` (attack when strictly above).
    pub fn from_probability(probability: f32, threshold: f32) -> Self {
        Self {
            probability,
            class: u8::from(probability > threshold),
            threshold,
            category: None,
        }
    }

    /// The same verdict with the category head's reading.
    pub fn with_category(self, category: Option<AttackCategory>) -> Self {
        Self { category, ..self }
    }

    /// `true` for an attack verdict.
    pub fn is_attack(&self) -> bool {
        self.class == 1
    }

    /// `"attack"` or `"normal"`.
    pub fn label(&self) -> &'static str {
        if self.is_attack() { "attack" } else { "normal" }
    }
}

/// Categories reported with each verdict, most likely first.
pub const TOP_CATEGORIES: usize = 3;

/// The category head's reading of a window: the most likely category (UNSW-NB15's
/// `attack_cat`, `Normal` included) and the next ones, with their softmax probabilities.
///
/// ```
/// use flow_features::AttackCategory;
/// let names = ["Normal", "Generic", "Exploits", "DoS"].map(String::from);
/// let category = AttackCategory::from_probabilities(&names, &[0.1, 0.2, 0.6, 0.1]);
/// assert_eq!((category.name.as_str(), category.probability), ("Exploits", 0.6));
/// let top: Vec<&str> = category.top.iter().map(|c| c.name.as_str()).collect();
/// assert_eq!(top, ["Exploits", "Generic", "Normal"]); // ties keep the model's order
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttackCategory {
    /// The most likely category.
    pub name: String,
    /// Its probability.
    pub probability: f32,
    /// The [`TOP_CATEGORIES`] most likely categories, most likely first (the first is
    /// `name`).
    pub top: Vec<CategoryScore>,
}

/// One category and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryScore {
    /// Category name, as the training data spells it (`Exploits`, `DoS`, …).
    pub name: String,
    /// Softmax probability.
    pub probability: f32,
}

impl AttackCategory {
    /// The reading of `probabilities`, one per name in `names`' order. Both must be non-empty
    /// and of one length.
    pub fn from_probabilities(names: &[String], probabilities: &[f32]) -> Self {
        debug_assert_eq!(names.len(), probabilities.len());
        let mut order: Vec<usize> = (0..names.len().min(probabilities.len())).collect();
        // Stable: equal probabilities keep the model's order.
        order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
        let top: Vec<CategoryScore> = order
            .iter()
            .take(TOP_CATEGORIES)
            .map(|&i| CategoryScore {
                name: names[i].clone(),
                probability: probabilities[i],
            })
            .collect();
        let first = top.first().cloned().unwrap_or(CategoryScore {
            name: String::new(),
            probability: 0.0,
        });
        Self {
            name: first.name,
            probability: first.probability,
            top,
        }
    }

    /// `true` when the most likely category is normal traffic.
    pub fn is_normal(&self) -> bool {
        self.name.eq_ignore_ascii_case(NORMAL_CATEGORY)
    }
}

/// The category of normal traffic in UNSW-NB15's `attack_cat`.
pub const NORMAL_CATEGORY: &str = "Normal";
