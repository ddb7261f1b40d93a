//! Readers for UNSW-NB15 flow files: the Kaggle Parquet layout (36 typed columns) and the
//! release's CSV layout (45 columns, with or without a UTF-8 BOM).
//!
//! Both stream the file in order as [`LabeledFlow`]s; columns are found by name, so any file
//! with the 34 feature columns works, and `label` / `attack_cat` are read when present.

mod csv;
mod parquet;

use std::path::Path;

pub use self::csv::CsvFlowReader;
pub use self::parquet::ParquetFlowReader;
use crate::error::{BoxError, Error, Result};
use crate::schema::{FEATURES, FlowRecord, OwnedValue};

/// A flow read from a dataset file, with its ground truth where the file has one.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledFlow {
    /// The 34 model features.
    pub flow: FlowRecord,
    /// `0` normal, `1` attack (column `label`), when present.
    pub label: Option<u8>,
    /// Attack family (`Normal`, `Exploits`, `DoS`, …; column `attack_cat`), when present.
    pub attack_cat: Option<String>,
}

/// A flow file reader of either format, chosen by the file extension.
///
/// ```no_run
/// use flow_features::FlowFileReader;
/// let mut attacks = 0;
/// for row in FlowFileReader::open("UNSW_NB15_testing-set.parquet")? {
///     attacks += (row?.label == Some(1)) as usize;
/// }
/// # Ok::<(), flow_features::Error>(())
/// ```
#[derive(Debug)]
pub enum FlowFileReader {
    /// A `.parquet` file.
    Parquet(ParquetFlowReader),
    /// A `.csv` file.
    Csv(CsvFlowReader),
}

impl FlowFileReader {
    /// Opens `path`: `.parquet`/`.pq` as Parquet, `.csv` as CSV.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("parquet" | "pq") => ParquetFlowReader::open(path).map(Self::Parquet),
            Some("csv") => CsvFlowReader::open(path).map(Self::Csv),
            _ => Err(dataset_error(
                path,
                "unknown file type: expected .parquet or .csv",
            )),
        }
    }
}

impl Iterator for FlowFileReader {
    type Item = Result<LabeledFlow>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Parquet(r) => r.next(),
            Self::Csv(r) => r.next(),
        }
    }
}

/// Reads a whole flow file into memory (see [`FlowFileReader`] to stream it).
pub fn read_flows(path: impl AsRef<Path>) -> Result<Vec<LabeledFlow>> {
    FlowFileReader::open(path)?.collect()
}

/// Where each needed column sits in a file's header.
#[derive(Debug, Clone)]
struct ColumnLayout {
    features: [usize; 34],
    label: Option<usize>,
    attack_cat: Option<usize>,
}

impl ColumnLayout {
    fn resolve<'a>(path: &Path, names: impl Iterator<Item = &'a str> + Clone) -> Result<Self> {
        let find = |wanted: &str| names.clone().position(|n| n.trim() == wanted);
        let mut features = [0; 34];
        let mut missing = Vec::new();
        for (slot, feature) in features.iter_mut().zip(FEATURES) {
            match find(feature.name) {
                Some(i) => *slot = i,
                None => missing.push(feature.name),
            }
        }
        if !missing.is_empty() {
            let message = format!("missing feature columns: {}", missing.join(", "));
            return Err(dataset_error(path, &message));
        }
        Ok(Self {
            features,
            label: find("label"),
            attack_cat: find("attack_cat"),
        })
    }
}

/// Builds a validated record; `row` (0-based data row) locates errors.
fn record_from_values(path: &Path, row: usize, values: Vec<OwnedValue>) -> Result<FlowRecord> {
    let flow = FlowRecord::from_checked_values(values);
    flow.validate(row)
        .map_err(|e| dataset_error_from(path, &format!("row {}", row + 1), e))?;
    Ok(flow)
}

fn dataset_error(path: &Path, message: &str) -> Error {
    Error::Dataset {
        path: path.display().to_string(),
        message: message.to_owned(),
        source: None,
    }
}

/// A dataset error caused by `source` (the reader's or the record's own error).
fn dataset_error_from(path: &Path, context: &str, source: impl Into<BoxError>) -> Error {
    Error::Dataset {
        path: path.display().to_string(),
        message: context.to_owned(),
        source: Some(source.into()),
    }
}

fn parse_label(path: &Path, row: usize, raw: i64) -> Result<u8> {
    match raw {
        0 | 1 => Ok(raw as u8),
        other => Err(dataset_error(
            path,
            &format!("row {}: label must be 0 or 1, got {other}", row + 1),
        )),
    }
}
