//! Writing scored flows: CSV, JSON lines or Parquet, one row per flow from the window length
//! on. Flows extracted from a capture also carry their identity (addresses, ports, protocol,
//! service, state, start and end), so a verdict can be traced to its traffic.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use arrow_array::{
    ArrayRef, Float32Array, Float64Array, RecordBatch, StringArray, UInt8Array, UInt16Array,
    UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use lstm_detector::Verdict;
use packet_flows::unsw::UnswRow;
use parquet::arrow::ArrowWriter;
use serde_json::json;

use crate::flow_sink::{seconds, seconds_text};
use crate::output::{self, Format};

/// The verdict columns, in order (empty category cells for a model without a head).
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

/// The identity columns a capture's flows add.
const IDENTITY: [&str; 9] = [
    "srcip", "sport", "dstip", "dsport", "proto", "service", "state", "stime", "ltime",
];

/// One scored flow.
pub struct Scored {
    /// The flow's position: row of the flow file, or record of the capture in `ltime` order
    /// (`anomaly extract` numbers the same record `row + 1`).
    pub row: u64,
    pub verdict: Verdict,
    pub label: Option<u8>,
    pub attack_cat: Option<String>,
    /// The extracted row, for a capture's flows.
    pub flow: Option<UnswRow>,
}

impl Scored {
    /// The top categories in one cell: `Exploits=0.612;DoS=0.201;Fuzzers=0.080`.
    fn top_cell(&self) -> Option<String> {
        let category = self.verdict.category.as_ref()?;
        let cells: Vec<String> = category
            .top
            .iter()
            .map(|c| format!("{}={}", c.name, c.probability))
            .collect();
        Some(cells.join(";"))
    }

    fn category_name(&self) -> Option<&str> {
        self.verdict.category.as_ref().map(|c| c.name.as_str())
    }

    fn category_probability(&self) -> Option<f32> {
        self.verdict.category.as_ref().map(|c| c.probability)
    }
}

/// Where scored rows go.
pub struct ScoreSink {
    kind: Kind,
    identity: bool,
    written: u64,
}

enum Kind {
    Csv(csv::Writer<Box<dyn Write>>),
    Jsonl(Box<dyn Write>),
    Parquet(ArrowWriter<File>, Arc<Schema>),
}

impl ScoreSink {
    /// Opens `out` (standard output when `None`, CSV or JSON lines only); `identity` adds the
    /// flow identity columns.
    pub fn create(out: Option<&Path>, format: Format, identity: bool) -> anyhow::Result<Self> {
        let writer = || output::open(out);
        let kind = match format {
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(writer()?);
                let extra = if identity { &IDENTITY[..] } else { &[] };
                csv.write_record(COLUMNS.iter().chain(extra))?;
                Kind::Csv(csv)
            }
            Format::Jsonl => Kind::Jsonl(writer()?),
            Format::Parquet => {
                let path = out.context("Parquet output needs --out <file>")?;
                let schema = Arc::new(schema(identity));
                let file =
                    File::create(path).with_context(|| format!("creating {}", path.display()))?;
                Kind::Parquet(ArrowWriter::try_new(file, schema.clone(), None)?, schema)
            }
        };
        Ok(Self {
            kind,
            identity,
            written: 0,
        })
    }

    /// Writes a batch of scored flows.
    pub fn write(&mut self, rows: Vec<Scored>) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match &mut self.kind {
            Kind::Csv(csv) => {
                for r in &rows {
                    let mut cells = vec![
                        r.row.to_string(),
                        r.verdict.probability.to_string(),
                        r.verdict.class.to_string(),
                        r.category_name().unwrap_or_default().to_owned(),
                        r.category_probability()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        r.top_cell().unwrap_or_default(),
                        r.label.map(|l| l.to_string()).unwrap_or_default(),
                        r.attack_cat.clone().unwrap_or_default(),
                    ];
                    if self.identity {
                        cells.extend(identity_cells(r.flow.as_ref()));
                    }
                    csv.write_record(cells)?;
                }
            }
            Kind::Jsonl(out) => {
                for r in &rows {
                    let mut object = json!({
                        "row": r.row,
                        "probability": r.verdict.probability,
                        "class": r.verdict.class,
                        "category": r.category_name(),
                        "category_probability": r.category_probability(),
                        "category_top": r.verdict.category.as_ref().map(|c| &c.top),
                        "label": r.label,
                        "attack_cat": r.attack_cat,
                    });
                    if let (true, Some(flow)) = (self.identity, &r.flow) {
                        let map = object.as_object_mut().expect("a JSON object");
                        map.insert("srcip".into(), json!(flow.srcip));
                        map.insert("sport".into(), json!(flow.sport));
                        map.insert("dstip".into(), json!(flow.dstip));
                        map.insert("dsport".into(), json!(flow.dsport));
                        map.insert("proto".into(), json!(flow.proto));
                        map.insert("service".into(), json!(flow.service));
                        map.insert("state".into(), json!(flow.state));
                        map.insert("stime".into(), json!(seconds(flow.stime)));
                        map.insert("ltime".into(), json!(seconds(flow.ltime)));
                    }
                    serde_json::to_writer(&mut *out, &object)?;
                    out.write_all(b"\n")?;
                }
            }
            Kind::Parquet(writer, schema) => {
                let batch = RecordBatch::try_new(schema.clone(), columns(&rows, self.identity))?;
                writer.write(&batch)?;
            }
        }
        self.written += rows.len() as u64;
        Ok(())
    }

    /// Flushes and closes the output; returns the rows written.
    pub fn finish(self) -> anyhow::Result<u64> {
        match self.kind {
            Kind::Csv(mut csv) => csv.flush()?,
            Kind::Jsonl(mut out) => out.flush()?,
            Kind::Parquet(writer, _) => {
                writer.close()?;
            }
        }
        Ok(self.written)
    }
}

fn identity_cells(flow: Option<&UnswRow>) -> Vec<String> {
    let Some(f) = flow else {
        return vec![String::new(); IDENTITY.len()];
    };
    vec![
        f.srcip.to_string(),
        f.sport.to_string(),
        f.dstip.to_string(),
        f.dsport.to_string(),
        f.proto.to_owned(),
        f.service.to_owned(),
        f.state.to_owned(),
        seconds_text(f.stime),
        seconds_text(f.ltime),
    ]
}

fn schema(identity: bool) -> Schema {
    let mut fields = vec![
        Field::new("row", DataType::UInt64, false),
        Field::new("probability", DataType::Float32, false),
        Field::new("class", DataType::UInt8, false),
        Field::new("category", DataType::Utf8, true),
        Field::new("category_probability", DataType::Float32, true),
        Field::new("category_top", DataType::Utf8, true),
        Field::new("label", DataType::UInt8, true),
        Field::new("attack_cat", DataType::Utf8, true),
    ];
    if identity {
        let types = [
            DataType::Utf8,
            DataType::UInt16,
            DataType::Utf8,
            DataType::UInt16,
            DataType::Utf8,
            DataType::Utf8,
            DataType::Utf8,
            DataType::Float64,
            DataType::Float64,
        ];
        for (name, kind) in IDENTITY.into_iter().zip(types) {
            fields.push(Field::new(name, kind, true));
        }
    }
    Schema::new(fields)
}

fn columns(rows: &[Scored], identity: bool) -> Vec<ArrayRef> {
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.row))),
        Arc::new(Float32Array::from_iter_values(
            rows.iter().map(|r| r.verdict.probability),
        )),
        Arc::new(UInt8Array::from_iter_values(
            rows.iter().map(|r| r.verdict.class),
        )),
        Arc::new(StringArray::from_iter(
            rows.iter().map(Scored::category_name),
        )),
        Arc::new(Float32Array::from_iter(
            rows.iter().map(Scored::category_probability),
        )),
        Arc::new(StringArray::from_iter(rows.iter().map(Scored::top_cell))),
        Arc::new(UInt8Array::from_iter(rows.iter().map(|r| r.label))),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|r| r.attack_cat.as_deref()),
        )),
    ];
    if identity {
        let flows: Vec<Option<&UnswRow>> = rows.iter().map(|r| r.flow.as_ref()).collect();
        let text = |f: fn(&UnswRow) -> String| -> ArrayRef {
            Arc::new(StringArray::from_iter(flows.iter().map(|r| r.map(f))))
        };
        let port = |f: fn(&UnswRow) -> u16| -> ArrayRef {
            Arc::new(UInt16Array::from_iter(flows.iter().map(|r| r.map(f))))
        };
        let time = |f: fn(&UnswRow) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from_iter(flows.iter().map(|r| r.map(f))))
        };
        // In IDENTITY's order.
        columns.extend([
            text(|r| r.srcip.to_string()),
            port(|r| r.sport),
            text(|r| r.dstip.to_string()),
            port(|r| r.dsport),
            text(|r| r.proto.to_owned()),
            text(|r| r.service.to_owned()),
            text(|r| r.state.to_owned()),
            time(|r| seconds(r.stime)),
            time(|r| seconds(r.ltime)),
        ]);
    }
    columns
}
