//! The crate's error type and the field-level validation problems it reports.

use std::fmt;

use serde::Serialize;

/// Everything that can go wrong in this crate. Exhaustive on purpose: the service maps every
/// variant to an HTTP status with no catch-all, so a new variant must be placed there.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input flows break one or more rules; every problem found is listed.
    #[error("{}", describe_violations(.0))]
    Invalid(Vec<Violation>),
    /// A preprocessing description is inconsistent.
    #[error("invalid preprocessing description: {0}")]
    Description(String),
    /// A preprocessing description is not the JSON document it should be.
    #[error("invalid preprocessing description")]
    DescriptionJson(#[source] serde_json::Error),
    /// A dataset file has a missing column, a bad value or an unsupported layout.
    #[error("{path}: {message}")]
    Dataset {
        /// File being read.
        path: String,
        /// What is wrong, with the row and column where known.
        message: String,
        /// The reader's or the record's own error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// Reading a file failed.
    #[error("cannot read {path}")]
    Io {
        /// File being read.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A JSON document could not be parsed.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

fn describe_violations(violations: &[Violation]) -> String {
    match violations {
        [one] => one.to_string(),
        many => format!(
            "{} problems: {}",
            many.len(),
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// An underlying error of any library, kept as the source of [`Error::Dataset`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Convenience alias for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One broken rule, located at a flow and a field where that applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    /// Index of the flow in the request's `sequence` (absent for whole-request problems).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<usize>,
    /// Field name (absent when the problem is not about one field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The rule that was broken.
    #[serde(flatten)]
    pub rule: Rule,
}

/// The validation rules a window of flows must satisfy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// A required key is absent (or `null`).
    Required,
    /// The value has the wrong JSON type.
    Type {
        /// The expected type.
        expected: &'static str,
        /// The type that was given.
        found: &'static str,
    },
    /// A number is NaN or infinite.
    Finite,
    /// A number is below zero; every UNSW-NB15 feature is a count, size, time or rate.
    NonNegative {
        /// The value given.
        value: f64,
    },
    /// A number so large that, once scaled, the model cannot compute with it.
    Range {
        /// The value given.
        value: f64,
    },
    /// A category string that is empty, too long or holds characters no protocol, service or
    /// state name has (see [`crate::MAX_CATEGORY_LEN`]).
    CategoryText {
        /// Characters the value has.
        length: usize,
    },
    /// A category value outside the model's training vocabulary.
    KnownCategory {
        /// The value given.
        value: String,
        /// The values the model was trained on.
        accepted: Vec<String>,
    },
    /// The window holds the wrong number of flows.
    Length {
        /// Flows the model reads per window.
        expected: usize,
        /// Flows given.
        actual: usize,
    },
}

impl Violation {
    pub(crate) fn at(flow: usize, field: &str, rule: Rule) -> Self {
        Self {
            flow: Some(flow),
            field: Some(field.to_owned()),
            rule,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.flow, &self.field) {
            (Some(i), Some(field)) => write!(f, "sequence[{i}].{field}: ")?,
            (Some(i), None) => write!(f, "sequence[{i}]: ")?,
            (None, Some(field)) => write!(f, "{field}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.rule.to_string())
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => f.write_str("is required"),
            Rule::Type { expected, found } => write!(f, "must be {expected}, got {found}"),
            Rule::Finite => f.write_str("must be a finite number"),
            Rule::NonNegative { value } => write!(f, "must be >= 0, got {value}"),
            Rule::Range { value } => write!(
                f,
                "is too large for this model: {value} scales beyond ±{:e}",
                crate::preprocessing::MAX_SCALED
            ),
            Rule::CategoryText { length } => write!(
                f,
                "must be 1 to {} characters among letters, digits and . _ / + - (got {length} \
                 characters)",
                crate::validate::MAX_CATEGORY_LEN
            ),
            Rule::KnownCategory { value, accepted } => write!(
                f,
                "unknown value {value:?}; accepted values: {}",
                accepted.join(", ")
            ),
            Rule::Length { expected, actual } => {
                write!(f, "must hold exactly {expected} flows, got {actual}")
            }
        }
    }
}
