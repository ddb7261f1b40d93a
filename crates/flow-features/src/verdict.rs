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
    /// model has one, read with `probability` ([`AttackCategory::given_verdict`]), so that it
    /// never contradicts `class`.
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
    /// The most likely category ([`given_verdict`](Self::given_verdict): on the verdict's
    /// side).
    pub name: String,
    /// Its probability.
    pub probability: f32,
    /// The [`TOP_CATEGORIES`] most likely categories, most likely first.
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

    /// The reading of a head whose categories include normal traffic (`names[normal]`),
    /// combined with the detector's attack `probability` and verdict: normal traffic gets
    /// `1 - probability`, each kind of attack `probability` times its share of the head's
    /// attack categories. `name` is the most likely category on the verdict's side (normal
    /// traffic for a normal verdict), so the category never contradicts the verdict.
    ///
    /// ```
    /// use flow_features::AttackCategory;
    /// let names = ["Normal", "Exploits", "DoS"].map(String::from);
    /// // The head leans normal, but the attack output says 0.8: an attack, most likely DoS.
    /// let category = AttackCategory::given_verdict(&names, &[0.6, 0.1, 0.3], 0, 0.8, true);
    /// assert_eq!(category.name, "DoS");
    /// assert!((category.probability - 0.6).abs() < 1e-6); // 0.8 · 0.3 / (0.1 + 0.3)
    /// assert_eq!(category.top[1].name, "Exploits");
    /// ```
    pub fn given_verdict(
        names: &[String],
        head: &[f32],
        normal: usize,
        probability: f32,
        attack: bool,
    ) -> Self {
        let attacks: f32 = head
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != normal)
            .map(|(_, &q)| q)
            .sum();
        let combined: Vec<f32> = head
            .iter()
            .enumerate()
            .map(|(i, &q)| match i == normal {
                true => 1.0 - probability,
                false if attacks > 0.0 => probability * q / attacks,
                false => 0.0,
            })
            .collect();
        let mut reading = Self::from_probabilities(names, &combined);
        let side = (0..combined.len())
            .filter(|&i| (i == normal) != attack)
            // The first of equals, as `from_probabilities` orders them.
            .fold(None, |best: Option<usize>, i| match best {
                Some(b) if combined[b] >= combined[i] => Some(b),
                _ => Some(i),
            });
        if let Some(i) = side {
            reading.name = names[i].clone();
            reading.probability = combined[i];
        }
        reading
    }

    /// `true` when the most likely category is normal traffic.
    pub fn is_normal(&self) -> bool {
        self.name.eq_ignore_ascii_case(NORMAL_CATEGORY)
    }
}

/// The category of normal traffic in UNSW-NB15's `attack_cat`.
pub const NORMAL_CATEGORY: &str = "Normal";
