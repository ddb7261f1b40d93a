//! `anomaly score`: stream a flow file, slide windows over it in file order and write one
//! scored row per flow from the window length on (CSV, JSON lines or Parquet): the attack
//! probability and class, and for a model with a category head the most likely category, its
//! probability and the top three.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use arrow_array::{ArrayRef, Float32Array, RecordBatch, StringArray, UInt8Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use flow_features::AttackCategory;
use flow_features::{FlowFileReader, LabeledFlow};
use indicatif::{ProgressBar, ProgressStyle};
use lstm_detector::{SlidingScorer, Verdict};
use parquet::arrow::ArrowWriter;

/// Output formats of `anomaly score`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet.
    Parquet,
}

/// Arguments of `anomaly score`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Parquet or CSV flow file (UNSW-NB15 columns), scored in file order.
    input: PathBuf,
    /// Detector: an embedded one by name (`unsw-nb15-lstm`, `unsw-nb15-seed`) or a model
    /// directory.
    #[arg(long, default_value = embedded_models::DEFAULT)]
    detector: String,
    /// Output file (default: standard output, CSV or JSON lines only).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Output format (default: from the output's extension, else CSV).
    #[arg(long)]
    format: Option<Format>,
    /// Windows scored per detector call.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    batch: u32,
}

/// One scored flow.
struct Scored {
    row: u64,
    probability: f32,
    class: u8,
    category: Option<AttackCategory>,
    label: Option<u8>,
    attack_cat: Option<String>,
}

/// What a flow carries through the scorer to its output row.
struct Tag {
    row: u64,
    label: Option<u8>,
    attack_cat: Option<String>,
}

impl Scored {
    /// The top categories in one cell: `Exploits=0.612;DoS=0.201;Fuzzers=0.080`.
    fn top_cell(&self) -> Option<String> {
        let category = self.category.as_ref()?;
        let cells: Vec<String> = category
            .top
            .iter()
            .map(|c| format!("{}={}", c.name, c.probability))
            .collect();
        Some(cells.join(";"))
    }

    fn new((tag, verdict): (Tag, Verdict)) -> Self {
        Self {
            row: tag.row,
            probability: verdict.probability,
            class: verdict.class,
            category: verdict.category,
            label: tag.label,
            attack_cat: tag.attack_cat,
        }
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let format = args
        .format
        .or_else(|| args.out.as_deref().and_then(format_of))
        .unwrap_or(Format::Csv);
    let detector = embedded_models::load(&args.detector)?;
    let mut sink = Sink::create(args.out.as_deref(), format)?;
    let progress = ProgressBar::new_spinner().with_style(ProgressStyle::with_template(
        "{spinner} {human_pos} flows scored, {per_sec}, {elapsed}",
    )?);

    let started = Instant::now();
    let mut scorer = SlidingScorer::new(&detector, args.batch as usize);
    let mut rows = 0u64;
    for row in FlowFileReader::open(&args.input)? {
        let LabeledFlow {
            flow,
            label,
            attack_cat,
        } = row?;
        let tag = Tag {
            row: rows,
            label,
            attack_cat,
        };
        let scored = scorer
            .push(&flow, tag)
            .with_context(|| format!("row {rows} of {}", args.input.display()))?;
        rows += 1;
        if !scored.is_empty() {
            sink.write(scored.into_iter().map(Scored::new).collect())?;
            progress.set_position(rows);
        }
    }
    sink.write(scorer.flush()?.into_iter().map(Scored::new).collect())?;
    let scored = sink.finish()?;
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{rows} flows read, {scored} scored (from row {}) in {seconds:.2} s: {:.0} flows/s",
        detector.sequence_length() - 1,
        rows as f64 / seconds
    );
    Ok(())
}

/// The output's columns, in order (empty category cells for a model without a head).
const COLUMNS: [&str; 8] = [
    "row",
    "probability",
    "class",
    "category",
    "category_probability",
    "category_top",
    "label",
    "attack_cat",
];

pub fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "csv" => Some(Format::Csv),
        "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
        "parquet" | "pq" => Some(Format::Parquet),
        _ => None,
    }
}

/// Where scored rows go.
enum Sink {
    Csv(csv::Writer<Box<dyn Write>>, u64),
    Jsonl(Box<dyn Write>, u64),
    Parquet(ArrowWriter<File>, Arc<Schema>, u64),
}

impl Sink {
    fn create(out: Option<&Path>, format: Format) -> anyhow::Result<Self> {
        let writer = || -> anyhow::Result<Box<dyn Write>> {
            Ok(match out {
                Some(path) => Box::new(BufWriter::new(
                    File::create(path).with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(BufWriter::new(std::io::stdout().lock())),
            })
        };
        Ok(match format {
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(writer()?);
                csv.write_record(COLUMNS)?;
                Sink::Csv(csv, 0)
            }
            Format::Jsonl => Sink::Jsonl(writer()?, 0),
            Format::Parquet => {
                let path = out.context("Parquet output needs --out <file>")?;
                let schema = Arc::new(Schema::new(vec![
                    Field::new("row", DataType::UInt64, false),
                    Field::new("probability", DataType::Float32, false),
                    Field::new("class", DataType::UInt8, false),
                    Field::new("category", DataType::Utf8, true),
                    Field::new("category_probability", DataType::Float32, true),
                    Field::new("category_top", DataType::Utf8, true),
                    Field::new("label", DataType::UInt8, true),
                    Field::new("attack_cat", DataType::Utf8, true),
                ]));
                let file =
                    File::create(path).with_context(|| format!("creating {}", path.display()))?;
                Sink::Parquet(ArrowWriter::try_new(file, schema.clone(), None)?, schema, 0)
            }
        })
    }

    fn write(&mut self, rows: Vec<Scored>) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Sink::Csv(csv, count) => {
                for r in &rows {
                    csv.write_record([
                        r.row.to_string(),
                        r.probability.to_string(),
                        r.class.to_string(),
                        r.category
                            .as_ref()
                            .map(|c| c.name.clone())
                            .unwrap_or_default(),
                        r.category
                            .as_ref()
                            .map(|c| c.probability.to_string())
                            .unwrap_or_default(),
                        r.top_cell().unwrap_or_default(),
                        r.label.map(|l| l.to_string()).unwrap_or_default(),
                        r.attack_cat.clone().unwrap_or_default(),
                    ])?;
                }
                *count += rows.len() as u64;
            }
            Sink::Jsonl(out, count) => {
                for r in &rows {
                    serde_json::to_writer(
                        &mut *out,
                        &serde_json::json!({
                            "row": r.row,
                            "probability": r.probability,
                            "class": r.class,
                            "category": r.category.as_ref().map(|c| &c.name),
                            "category_probability": r.category.as_ref().map(|c| c.probability),
                            "category_top": r.category.as_ref().map(|c| &c.top),
                            "label": r.label,
                            "attack_cat": r.attack_cat,
                        }),
                    )?;
                    out.write_all(b"\n")?;
                }
                *count += rows.len() as u64;
            }
            Sink::Parquet(writer, schema, count) => {
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.row))),
                    Arc::new(Float32Array::from_iter_values(
                        rows.iter().map(|r| r.probability),
                    )),
                    Arc::new(UInt8Array::from_iter_values(rows.iter().map(|r| r.class))),
                    Arc::new(StringArray::from_iter(
                        rows.iter()
                            .map(|r| r.category.as_ref().map(|c| c.name.as_str())),
                    )),
                    Arc::new(Float32Array::from_iter(
                        rows.iter()
                            .map(|r| r.category.as_ref().map(|c| c.probability)),
                    )),
                    Arc::new(StringArray::from_iter(rows.iter().map(Scored::top_cell))),
                    Arc::new(UInt8Array::from_iter(rows.iter().map(|r| r.label))),
                    Arc::new(StringArray::from_iter(
                        rows.iter().map(|r| r.attack_cat.as_deref()),
                    )),
                ];
                writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
                *count += rows.len() as u64;
            }
        }
        Ok(())
    }

    /// Flushes and closes the output; returns the rows written.
    fn finish(self) -> anyhow::Result<u64> {
        Ok(match self {
            Sink::Csv(mut csv, count) => {
                csv.flush()?;
                count
            }
            Sink::Jsonl(mut out, count) => {
                out.flush()?;
                count
            }
            Sink::Parquet(writer, _, count) => {
                writer.close()?;
                count
            }
        })
    }
}
