//! Turns an ONNX LSTM classifier into a model directory this project serves.
//!
//! Burn's ONNX import (`burn-onnx`'s `ModelGen`, the successor of `burn-import`) reads the ONNX
//! graph and writes its weights as a burnpack; those are loaded into `lstm_detector`'s own
//! network and saved with the preprocessing description and a manifest:
//!
//! ```sh
//! cargo run -p onnx-import -- --onnx models/unsw-nb15-seed/model.onnx \
//!     --preprocessing models/unsw-nb15-seed/preprocessing.json --out models/unsw-nb15-seed
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use clap::Parser;
use flow_features::Preprocessor;
use lstm_detector::{LstmDetectorConfig, ModelManifest, load_burn_onnx_weights, write_model_dir};

/// Import an ONNX LSTM (LSTM → … → LSTM → MatMul → Add → Sigmoid) as a model directory.
#[derive(Parser, Debug)]
struct Args {
    /// ONNX file to import.
    #[arg(long)]
    onnx: PathBuf,
    /// The model's preprocessing description.
    #[arg(long)]
    preprocessing: PathBuf,
    /// Output model directory (model.json, preprocessing.json, weights.bpk).
    #[arg(long)]
    out: PathBuf,
    /// Hidden size of each LSTM layer in the graph, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "20,20")]
    hidden_sizes: Vec<usize>,
    /// Model identifier written to model.json.
    #[arg(long, default_value = "unsw-nb15-seed")]
    id: String,
    /// One-line description written to model.json.
    #[arg(
        long,
        default_value = "The original Keras LSTM (lstm_model.weights.h5) imported through ONNX and burn-onnx"
    )]
    description: String,
    /// Decision threshold written to model.json.
    #[arg(long, default_value_t = 0.5)]
    threshold: f32,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let preprocessor = Preprocessor::from_file(&args.preprocessing)
        .with_context(|| format!("reading {}", args.preprocessing.display()))?;
    let architecture = LstmDetectorConfig::new()
        .with_input_size(preprocessor.columns())
        .with_hidden_sizes(args.hidden_sizes.clone());

    let generated = tempfile::tempdir()?;
    let onnx = args
        .onnx
        .canonicalize()
        .with_context(|| format!("{}", args.onnx.display()))?;
    let out_dir = format!("{}/", generated.path().display());
    burn_onnx::ModelGen::new()
        .input(onnx.to_str().context("ONNX path is not UTF-8")?)
        .out_dir(&out_dir)
        .run_from_cli();
    let stem = onnx.file_stem().context("ONNX path has no file name")?;
    let burnpack = generated.path().join(stem).with_extension("bpk");
    ensure!(
        burnpack.exists(),
        "burn-onnx wrote no {}",
        burnpack.display()
    );

    let model = load_burn_onnx_weights(&architecture, &burnpack, &burn::tensor::Device::flex())?;
    let manifest = ModelManifest {
        id: args.id,
        description: args.description,
        architecture,
        threshold: args.threshold,
    };
    write_model_dir(&args.out, &manifest, preprocessor.description(), &model)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
