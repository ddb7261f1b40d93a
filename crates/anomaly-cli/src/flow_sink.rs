//! Writing extracted flows in the release's column layout: CSV, JSON lines or Parquet.
//!
//! Columns: `id` (from 1, as the release numbers its rows), the layout's 42 features in
//! order, `attack_cat` and `label` when the user labelled the capture, then the flow's
//! identity (`srcip`, `sport`, `dstip`, `dsport`, `stime`, `ltime`). The dataset readers find
//! columns by name, so `anomaly score` and `anomaly train` read these files as they are.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use arrow_array::builder::{Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use packet_flows::Timestamp;
use packet_flows::unsw::{COLUMN_KINDS, COLUMNS, Cell, CellKind, IDENTITY_COLUMNS, UnswRow};
use parquet::arrow::ArrowWriter;

use crate::output::{self, Format};

/// Where the identity columns begin.
const IDENTITY_START: usize = COLUMNS.len() - IDENTITY_COLUMNS;

/// Rows buffered per Parquet record batch.
const PARQUET_BATCH: usize = 8_192;

/// The ground truth a user gives a whole capture.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    pub label: Option<u8>,
    pub attack_cat: Option<String>,
}

/// Where extracted rows go.
pub struct FlowSink {
    kind: Kind,
    labels: Labels,
    written: u64,
}

enum Kind {
    Csv(csv::Writer<Box<dyn Write>>),
    Jsonl(Box<dyn Write>),
    Parquet {
        writer: ArrowWriter<File>,
        schema: Arc<Schema>,
        rows: Vec<(UnswRow, Labels)>,
    },
}

impl FlowSink {
    /// Opens `out` (standard output when `None`, CSV or JSON lines only).
    pub fn create(out: Option<&Path>, format: Format, labels: Labels) -> anyhow::Result<Self> {
        let writer = || output::open(out);
        let names = column_names(&labels);
        let kind = match format {
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(writer()?);
                csv.write_record(&names)?;
                Kind::Csv(csv)
            }
            Format::Jsonl => Kind::Jsonl(writer()?),
            Format::Parquet => {
                let path = out.context("Parquet output needs --out <file>")?;
                let schema = Arc::new(parquet_schema(&names));
                let file =
                    File::create(path).with_context(|| format!("creating {}", path.display()))?;
                Kind::Parquet {
                    writer: ArrowWriter::try_new(file, schema.clone(), None)?,
                    schema,
                    rows: Vec::with_capacity(PARQUET_BATCH),
                }
            }
        };
        Ok(FlowSink {
            kind,
            labels,
            written: 0,
        })
    }

    /// Writes one row, with the labels the sink was created with.
    pub fn write(&mut self, row: UnswRow) -> anyhow::Result<()> {
        let labels = self.labels.clone();
        self.write_labelled(row, labels)
    }

    /// Writes one row with labels of its own; the sink's labels decide which label columns
    /// exist (a value the sink has no column for is dropped).
    pub fn write_labelled(&mut self, row: UnswRow, labels: Labels) -> anyhow::Result<()> {
        let labels = Labels {
            label: self.labels.label.and(labels.label.or(self.labels.label)),
            attack_cat: self
                .labels
                .attack_cat
                .as_ref()
                .and(labels.attack_cat.or_else(|| self.labels.attack_cat.clone())),
        };
        self.written += 1;
        let id = self.written;
        match &mut self.kind {
            Kind::Csv(csv) => {
                let mut record = vec![id.to_string()];
                let (features, identity) = split(&row);
                record.extend(features.iter().map(text));
                if let Some(cat) = &labels.attack_cat {
                    record.push(cat.clone());
                }
                if let Some(label) = labels.label {
                    record.push(label.to_string());
                }
                record.extend(identity.iter().map(text));
                csv.write_record(&record)?;
            }
            Kind::Jsonl(out) => {
                // Written field by field, to keep the columns' order (a JSON map sorts them).
                let mut fields = vec![("id", serde_json::Value::from(id))];
                let (features, identity) = split(&row);
                let names = &COLUMNS;
                fields.extend(names.iter().copied().zip(features.into_iter().map(json)));
                if let Some(cat) = &labels.attack_cat {
                    fields.push(("attack_cat", cat.clone().into()));
                }
                if let Some(label) = labels.label {
                    fields.push(("label", label.into()));
                }
                fields.extend(
                    names[IDENTITY_START..]
                        .iter()
                        .copied()
                        .zip(identity.into_iter().map(json)),
                );
                out.write_all(b"{")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *out, name)?;
                    out.write_all(b":")?;
                    serde_json::to_writer(&mut *out, value)?;
                }
                out.write_all(b"}\n")?;
            }
            Kind::Parquet { rows, .. } => {
                rows.push((row, labels));
                if rows.len() == PARQUET_BATCH {
                    self.write_batch()?;
                }
            }
        }
        Ok(())
    }

    /// Pushes the rows written so far to the file (CSV and JSON lines; Parquet writes whole
    /// row groups), so that a live capture's output can be followed.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        match &mut self.kind {
            Kind::Csv(csv) => csv.flush()?,
            Kind::Jsonl(out) => out.flush()?,
            Kind::Parquet { .. } => {}
        }
        Ok(())
    }

    /// Flushes and closes the output; returns the rows written.
    pub fn finish(mut self) -> anyhow::Result<u64> {
        self.write_batch()?;
        match self.kind {
            Kind::Csv(mut csv) => csv.flush()?,
            Kind::Jsonl(mut out) => out.flush()?,
            Kind::Parquet { writer, .. } => {
                writer.close()?;
            }
        }
        Ok(self.written)
    }

    fn write_batch(&mut self) -> anyhow::Result<()> {
        let Kind::Parquet {
            writer,
            schema,
            rows,
        } = &mut self.kind
        else {
            return Ok(());
        };
        if rows.is_empty() {
            return Ok(());
        }
        let first_id = self.written - rows.len() as u64 + 1;
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        let mut ids = UInt64Builder::new();
        ids.extend((0..rows.len() as u64).map(|i| Some(first_id + i)));
        columns.push(Arc::new(ids.finish()));
        let cells: Vec<_> = rows.iter().map(|(row, _)| row.cells()).collect();
        let column = |i: usize| -> ArrayRef {
            match COLUMN_KINDS[i] {
                CellKind::Int => {
                    let mut b = UInt64Builder::new();
                    b.extend(cells.iter().map(|c| int(c[i])));
                    Arc::new(b.finish())
                }
                CellKind::Float | CellKind::Time => {
                    let mut b = Float64Builder::new();
                    b.extend(cells.iter().map(|c| float(c[i])));
                    Arc::new(b.finish())
                }
                CellKind::Text | CellKind::Address => {
                    let mut b = StringBuilder::new();
                    b.extend(cells.iter().map(|c| Some(text(&c[i]))));
                    Arc::new(b.finish())
                }
            }
        };
        columns.extend((0..IDENTITY_START).map(column));
        if self.labels.attack_cat.is_some() {
            let mut b = StringBuilder::new();
            b.extend(rows.iter().map(|(_, l)| l.attack_cat.as_deref()));
            columns.push(Arc::new(b.finish()));
        }
        if self.labels.label.is_some() {
            let mut b = UInt64Builder::new();
            b.extend(rows.iter().map(|(_, l)| l.label.map(u64::from)));
            columns.push(Arc::new(b.finish()));
        }
        columns.extend((IDENTITY_START..COLUMNS.len()).map(column));
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
        rows.clear();
        Ok(())
    }
}

/// The output's column names, in order.
fn column_names(labels: &Labels) -> Vec<&'static str> {
    let mut names = vec!["id"];
    names.extend(&COLUMNS[..IDENTITY_START]);
    if labels.attack_cat.is_some() {
        names.push("attack_cat");
    }
    if labels.label.is_some() {
        names.push("label");
    }
    names.extend(&COLUMNS[IDENTITY_START..]);
    names
}

fn parquet_schema(names: &[&'static str]) -> Schema {
    let fields = names.iter().map(|name| {
        let kind = COLUMNS
            .iter()
            .position(|c| c == name)
            .map(|i| COLUMN_KINDS[i]);
        let data_type = match (*name, kind) {
            ("id" | "label", _) | (_, Some(CellKind::Int)) => DataType::UInt64,
            (_, Some(CellKind::Float | CellKind::Time)) => DataType::Float64,
            _ => DataType::Utf8,
        };
        Field::new(*name, data_type, false)
    });
    Schema::new(fields.collect::<Vec<_>>())
}

/// The feature cells and the identity cells of a row.
fn split(row: &UnswRow) -> (Vec<Cell>, Vec<Cell>) {
    let cells = row.cells();
    (
        cells[..IDENTITY_START].to_vec(),
        cells[IDENTITY_START..].to_vec(),
    )
}

fn text(cell: &Cell) -> String {
    match *cell {
        Cell::Int(n) => n.to_string(),
        Cell::Float(x) => x.to_string(),
        Cell::Text(s) => s.to_owned(),
        Cell::Address(a) => a.to_string(),
        Cell::Time(t) => seconds_text(t),
    }
}

fn json(cell: Cell) -> serde_json::Value {
    match cell {
        Cell::Int(n) => n.into(),
        Cell::Float(x) => x.into(),
        Cell::Text(s) => s.into(),
        Cell::Address(a) => a.to_string().into(),
        Cell::Time(t) => seconds(t).into(),
    }
}

fn int(cell: Cell) -> Option<u64> {
    match cell {
        Cell::Int(n) => Some(n),
        _ => None,
    }
}

fn float(cell: Cell) -> Option<f64> {
    match cell {
        Cell::Float(x) => Some(x),
        Cell::Time(t) => Some(seconds(t)),
        _ => None,
    }
}

/// Seconds since the epoch with microseconds, as `ra -u -p 6` prints times.
pub(crate) fn seconds_text(t: Timestamp) -> String {
    format!("{}.{:06}", t.secs(), t.subsec_nanos() / 1_000)
}

pub(crate) fn seconds(t: Timestamp) -> f64 {
    t.secs() as f64 + f64::from(t.subsec_nanos() / 1_000) / 1e6
}
