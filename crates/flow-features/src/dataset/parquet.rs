//! The Kaggle Parquet layout of UNSW-NB15 (typed columns: int8..int64, float32, strings and
//! dictionary-encoded strings).

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_cast::cast;
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::{
    ColumnLayout, LabeledFlow, dataset_error, dataset_error_from, parse_label, record_from_values,
};
use crate::error::{Error, Result};
use crate::schema::{FEATURES, FeatureKind, OwnedValue};

/// Streams flows from a Parquet file, one record batch at a time.
#[derive(Debug)]
pub struct ParquetFlowReader {
    path: PathBuf,
    batches: ParquetRecordBatchReader,
    layout: ColumnLayout,
    pending: VecDeque<LabeledFlow>,
    rows_read: usize,
    failed: bool,
}

impl ParquetFlowReader {
    /// Rows decoded per record batch.
    pub const BATCH_SIZE: usize = 8192;

    /// Opens `path` and checks that it has the 34 feature columns.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| dataset_error_from(&path, "not a readable Parquet file", e))?;
        let schema = builder.schema().clone();
        let layout =
            ColumnLayout::resolve(&path, schema.fields().iter().map(|f| f.name().as_str()))?;
        let batches = builder
            .with_batch_size(Self::BATCH_SIZE)
            .build()
            .map_err(|e| dataset_error_from(&path, "reading the row groups", e))?;
        Ok(Self {
            path,
            batches,
            layout,
            pending: VecDeque::new(),
            rows_read: 0,
            failed: false,
        })
    }

    fn decode(&mut self, batch: &RecordBatch) -> Result<()> {
        let path = &self.path;
        let as_type = |index: usize, name: &str, to: &DataType| -> Result<ArrayRef> {
            let column = batch.column(index);
            if column.null_count() > 0 {
                return Err(dataset_error(
                    path,
                    &format!("column {name} has missing values"),
                ));
            }
            cast(column, to).map_err(|e| dataset_error_from(path, &format!("column {name}"), e))
        };
        let mut columns = Vec::with_capacity(FEATURES.len());
        for (feature, &i) in FEATURES.iter().zip(&self.layout.features) {
            let to = match feature.kind {
                FeatureKind::Numeric => DataType::Float64,
                FeatureKind::Categorical => DataType::Utf8,
            };
            columns.push(as_type(i, feature.name, &to)?);
        }
        let labels = self
            .layout
            .label
            .map(|i| as_type(i, "label", &DataType::Int64))
            .transpose()?;
        let attack_cats = self
            .layout
            .attack_cat
            .map(|i| as_type(i, "attack_cat", &DataType::Utf8))
            .transpose()?;

        for r in 0..batch.num_rows() {
            let row = self.rows_read + r;
            let values = FEATURES
                .iter()
                .zip(&columns)
                .map(|(feature, column)| match feature.kind {
                    FeatureKind::Numeric => {
                        OwnedValue::Number(column.as_primitive::<Float64Type>().value(r))
                    }
                    FeatureKind::Categorical => {
                        OwnedValue::Category(column.as_string::<i32>().value(r).to_owned())
                    }
                })
                .collect();
            let label = match &labels {
                Some(l) => Some(parse_label(
                    path,
                    row,
                    l.as_primitive::<Int64Type>().value(r),
                )?),
                None => None,
            };
            let attack_cat = attack_cats
                .as_ref()
                .map(|a| a.as_string::<i32>().value(r).to_owned());
            let flow = record_from_values(path, row, values)?;
            self.pending.push_back(LabeledFlow {
                flow,
                label,
                attack_cat,
            });
        }
        self.rows_read += batch.num_rows();
        Ok(())
    }
}

impl Iterator for ParquetFlowReader {
    type Item = Result<LabeledFlow>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.pending.is_empty() && !self.failed {
            let batch = match self.batches.next()? {
                Ok(batch) => batch,
                Err(e) => {
                    self.failed = true;
                    let context = format!("rows after {}", self.rows_read);
                    return Some(Err(dataset_error_from(&self.path, &context, e)));
                }
            };
            if let Err(e) = self.decode(&batch) {
                // A bad batch ends the stream: its rows cannot be trusted in part.
                self.failed = true;
                return Some(Err(e));
            }
        }
        self.pending.pop_front().map(Ok)
    }
}
