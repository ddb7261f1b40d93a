//! A detector's verdict on a window, as every layer above the detector reports it.

use serde::Serialize;

/// The verdict on one window: about its newest flow, given the flows before it.
///
/// ```
/// use flow_features::Verdict;
/// let verdict = Verdict::from_probability(0.97, 0.5);
/// assert_eq!((verdict.class, verdict.label()), (1, "attack"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// Probability that the window's last flow is part of an attack.
    pub probability: f32,
    /// `1` (attack) when `probability > threshold`, else `0` (normal).
    pub class: u8,
    /// The decision threshold applied.
    pub threshold: f32,
}

impl Verdict {
    /// The verdict for `probability` under `threshold` (attack when strictly above).
    pub fn from_probability(probability: f32, threshold: f32) -> Self {
        Self {
            probability,
            class: u8::from(probability > threshold),
            threshold,
        }
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
