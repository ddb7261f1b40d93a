//! `anomaly baseline`: the median normal flow of a data file, written as `baseline.json`.

use std::path::PathBuf;

use anyhow::Context;
use flow_features::{Baseline, FlowFileReader};

/// Arguments of `anomaly baseline`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Parquet or CSV flow file with a `label` column (0 = normal).
    #[arg(long)]
    data: PathBuf,
    /// Model directory receiving `baseline.json`.
    #[arg(long)]
    model: PathBuf,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let mut normal = Vec::new();
    let mut rows = 0usize;
    for row in FlowFileReader::open(&args.data)? {
        let row = row?;
        rows += 1;
        if row.label == Some(0) {
            normal.push(row.flow);
        }
    }
    let name = args.data.file_name().map_or_else(
        || args.data.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let description = format!(
        "per-feature median (numeric) and most frequent value (categorical) of the {} normal \
         flows among the {rows} rows of {name}",
        normal.len()
    );
    let baseline = Baseline::median_of(&normal, description)?;
    lstm_detector::write_baseline(&args.model, &baseline)
        .with_context(|| format!("writing the baseline into {}", args.model.display()))?;
    // Loading the directory checks the baseline against the model's vocabularies.
    lstm_detector::Detector::from_dir(&args.model)?;
    println!("{}", baseline.description);
    Ok(())
}
