//! The UNSW-NB15 release's CSV layout.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::{
    ColumnLayout, LabeledFlow, dataset_error, dataset_error_from, parse_label, record_from_values,
};
use crate::error::{Error, Result};
use crate::schema::{FEATURES, FeatureKind, OwnedValue};

/// Streams flows from a CSV file with a header row (a leading UTF-8 BOM is accepted).
#[derive(Debug)]
pub struct CsvFlowReader {
    path: PathBuf,
    reader: csv::Reader<File>,
    layout: ColumnLayout,
    row: usize,
    record: csv::StringRecord,
}

impl CsvFlowReader {
    /// Opens `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        // The csv crate strips a UTF-8 BOM at the start of the header.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(file);
        let headers = reader
            .headers()
            .map_err(|e| dataset_error_from(&path, "header", e))?
            .clone();
        let layout = ColumnLayout::resolve(&path, headers.iter())?;
        Ok(Self {
            path,
            reader,
            layout,
            row: 0,
            record: csv::StringRecord::new(),
        })
    }

    fn parse_current(&self) -> Result<LabeledFlow> {
        let (path, row, record) = (&self.path, self.row, &self.record);
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let mut values = Vec::with_capacity(FEATURES.len());
        for (feature, &i) in FEATURES.iter().zip(&self.layout.features) {
            values.push(match feature.kind {
                FeatureKind::Categorical => OwnedValue::Category(cell(i).to_owned()),
                FeatureKind::Numeric => OwnedValue::Number(cell(i).parse().map_err(|_| {
                    let message = format!(
                        "row {}, column {}: {:?} is not a number",
                        row + 1,
                        feature.name,
                        cell(i)
                    );
                    dataset_error(path, &message)
                })?),
            });
        }
        let label = match self.layout.label {
            Some(i) => {
                let raw = cell(i).parse::<i64>().map_err(|_| {
                    dataset_error(
                        path,
                        &format!("row {}: label {:?} is not an integer", row + 1, cell(i)),
                    )
                })?;
                Some(parse_label(path, row, raw)?)
            }
            None => None,
        };
        let attack_cat = self.layout.attack_cat.map(|i| cell(i).to_owned());
        Ok(LabeledFlow {
            flow: record_from_values(path, row, values)?,
            label,
            attack_cat,
        })
    }
}

impl Iterator for CsvFlowReader {
    type Item = Result<LabeledFlow>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let parsed = self.parse_current();
                self.row += 1;
                Some(parsed)
            }
            Err(e) => Some(Err(dataset_error_from(
                &self.path,
                &format!("row {}", self.row + 1),
                e,
            ))),
        }
    }
}
