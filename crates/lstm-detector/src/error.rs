//! The crate's error type.

/// Everything that can go wrong in this crate. Exhaustive on purpose: the service maps every
/// variant to an HTTP status with no catch-all, so a new variant must be placed there.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flows or windows failed validation or encoding (see [`flow_features::Error`]).
    #[error(transparent)]
    Features(#[from] flow_features::Error),
    /// Windows of a batch failed validation; each listed by its index in the batch.
    #[error("{} windows of the batch are invalid", .0.len())]
    InvalidWindows(Vec<(usize, Vec<flow_features::Violation>)>),
    /// A model directory or its manifest is inconsistent.
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// A model document (`model.json`, `baseline.json`, …) could not be read or written.
    #[error("invalid model file {file}")]
    ModelFile {
        /// The document's file name.
        file: &'static str,
        /// Why: the JSON, UTF-8 or schema error.
        source: BoxError,
    },
    /// The model directory's baseline cannot be scored by its own preprocessing.
    #[error("the baseline does not fit the model's preprocessing")]
    Baseline(#[source] flow_features::Error),
    /// A model file could not be read or written.
    #[error("cannot read or write {path}")]
    Io {
        /// The file.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// Weights could not be loaded into, or saved from, the network.
    #[error("weights: {message}")]
    Weights {
        /// What failed.
        message: String,
        /// The weight store's own error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// A batch of windows does not have the shape the model reads.
    #[error("batch of {len} values is not a whole number of [{rows}, {columns}] windows")]
    BatchShape {
        /// Values given.
        len: usize,
        /// Flows per window.
        rows: usize,
        /// Features per flow.
        columns: usize,
    },
    /// A batch holds windows of another shape than the model reads.
    #[error(
        "windows of [{rows}, {columns}] values, but the model reads [{expected_rows}, {expected_columns}]"
    )]
    WindowShape {
        /// Flows per window given.
        rows: usize,
        /// Values per flow given.
        columns: usize,
        /// Flows per window the model reads.
        expected_rows: usize,
        /// Values per flow the model reads.
        expected_columns: usize,
    },
    /// An encoded window holds a code the model's embedding does not have (windows from
    /// [`flow_features::Preprocessor`] never do).
    #[error("column {column} holds {value}, not a code below {cardinality}")]
    CodeOutOfRange {
        /// The input column.
        column: usize,
        /// The value found.
        value: f32,
        /// Codes the column's embedding holds.
        cardinality: usize,
    },
    /// Training could not run with the given data or settings.
    #[error("training: {0}")]
    Training(String),
    /// The tensor backend failed to hand back a tensor's values.
    #[error("backend")]
    Backend(#[from] burn::tensor::DataError),
}

/// An underlying error of any library, kept as a source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Convenience alias for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
