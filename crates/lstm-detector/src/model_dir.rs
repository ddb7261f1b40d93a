//! Model directories: `model.json` (what the model is), `preprocessing.json` (how flows become
//! its input) and `weights.bpk` (Burn's burnpack format).

use std::borrow::Cow;
use std::path::Path;

use burn::tensor::Bytes;
use burn_store::{BurnpackStore, ModuleSnapshot};
use flow_features::{Baseline, PreprocessingDescription, Preprocessor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{LstmDetector, LstmDetectorConfig};

/// File name of the manifest inside a model directory.
pub const MANIFEST_FILE: &str = "model.json";
/// File name of the preprocessing description inside a model directory.
pub const PREPROCESSING_FILE: &str = "preprocessing.json";
/// File name of the weights inside a model directory.
pub const WEIGHTS_FILE: &str = "weights.bpk";
/// File name of the optional normal-traffic baseline (for attribution) inside a model directory.
pub const BASELINE_FILE: &str = "baseline.json";

/// `model.json`: identity, architecture and decision threshold of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelManifest {
    /// Short identifier reported with each prediction (e.g. `unsw-nb15-seed`).
    pub id: String,
    /// One line on where the model comes from.
    #[serde(default)]
    pub description: String,
    /// The network's sizes; the weights must match them.
    pub architecture: LstmDetectorConfig,
    /// A window is an attack when its probability is strictly above this value.
    pub threshold: f32,
}

impl ModelManifest {
    fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidModel(m.to_owned()));
        if self.id.trim().is_empty() {
            return bad("id is empty");
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return bad("threshold must lie in [0, 1]");
        }
        let arch = &self.architecture;
        if arch.input_size == 0 || arch.hidden_sizes.is_empty() || arch.hidden_sizes.contains(&0) {
            return bad("architecture needs input_size > 0 and at least one non-zero hidden size");
        }
        if !(0.0..1.0).contains(&arch.dropout) {
            return bad("dropout must lie in [0, 1)");
        }
        if arch
            .head_sizes
            .as_ref()
            .is_some_and(|sizes| sizes.contains(&0))
        {
            return bad("head_sizes must be positive");
        }
        if let Some(names) = &arch.categories {
            let mut distinct = names.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if names.len() < 2
                || distinct.len() != names.len()
                || !names.iter().all(|n| flow_features::is_category_text(n))
            {
                return bad(
                    "categories must be 2 or more distinct names of 1 to 32 characters among \
                     letters, digits and ._/+-",
                );
            }
        }
        if let Some(embedding) = &arch.embedding {
            let mut columns = embedding.columns.clone();
            columns.sort_unstable();
            columns.dedup();
            if embedding.dim == 0
                || columns.len() != embedding.columns.len()
                || embedding.columns.len() != embedding.cardinalities.len()
                || embedding.cardinalities.contains(&0)
                || columns.last().is_some_and(|&c| c >= arch.input_size)
            {
                return bad(
                    "embedding needs distinct columns below input_size, one positive \
                     cardinality per column and a positive dim",
                );
            }
        }
        Ok(())
    }
}

/// The files of a model, read from a directory or embedded in a binary.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    /// Contents of `model.json`.
    pub manifest: Cow<'static, str>,
    /// Contents of `preprocessing.json`.
    pub preprocessing: Cow<'static, str>,
    /// Contents of `weights.bpk`.
    pub weights: Cow<'static, [u8]>,
    /// Contents of `baseline.json`, when the model has one (needed by
    /// [`Detector::attribute`](crate::Detector::attribute)).
    pub baseline: Option<Cow<'static, str>>,
}

impl ModelFiles {
    /// Reads the files of the model directory `dir`.
    pub fn read_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })
        };
        let text = |name: &'static str| {
            String::from_utf8(read(name)?).map_err(|e| Error::ModelFile {
                file: name,
                source: e.into(),
            })
        };
        let baseline = if dir.join(BASELINE_FILE).exists() {
            Some(Cow::Owned(text(BASELINE_FILE)?))
        } else {
            None
        };
        Ok(Self {
            manifest: Cow::Owned(text(MANIFEST_FILE)?),
            preprocessing: Cow::Owned(text(PREPROCESSING_FILE)?),
            weights: Cow::Owned(read(WEIGHTS_FILE)?),
            baseline,
        })
    }

    /// Parses and checks the manifest.
    pub fn parse_manifest(&self) -> Result<ModelManifest> {
        let manifest: ModelManifest =
            serde_json::from_str(&self.manifest).map_err(|e| Error::ModelFile {
                file: MANIFEST_FILE,
                source: e.into(),
            })?;
        manifest.check()?;
        Ok(manifest)
    }

    /// Parses and checks the baseline, if any.
    pub fn parse_baseline(&self) -> Result<Option<Baseline>> {
        self.baseline
            .as_deref()
            .map(|json| {
                Baseline::from_json(json).map_err(|e| Error::ModelFile {
                    file: BASELINE_FILE,
                    source: e.into(),
                })
            })
            .transpose()
    }

    /// A burnpack store reading the weights.
    pub(crate) fn weights_store(&self) -> BurnpackStore {
        // Always an owned copy: `BurnpackStore::from_static` reads tensors in place and panics
        // when `include_bytes!` data is not aligned for f32, which nothing guarantees.
        BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(self.weights.to_vec())))
    }
}

/// Loads weights from `store` into `model`; every parameter must be present, none left over.
pub(crate) fn load_weights(model: &mut LstmDetector, store: &mut BurnpackStore) -> Result<()> {
    let applied = model.load_from(store).map_err(|e| Error::Weights {
        message: "reading the burnpack".into(),
        source: Some(e.into()),
    })?;
    if !applied.errors.is_empty() || !applied.missing.is_empty() || !applied.unused.is_empty() {
        return Err(Error::Weights {
            message: format!(
                "weights do not fit the architecture: {} errors, missing {:?}, unused {:?}",
                applied.errors.len(),
                applied.missing.iter().map(|(p, _)| p).collect::<Vec<_>>(),
                applied.unused
            ),
            source: None,
        });
    }
    Ok(())
}

/// Writes a model directory: manifest, preprocessing description and weights.
pub fn write_model_dir(
    dir: impl AsRef<Path>,
    manifest: &ModelManifest,
    preprocessing: &PreprocessingDescription,
    model: &LstmDetector,
) -> Result<()> {
    let dir = dir.as_ref();
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let documents = [
        (MANIFEST_FILE, serde_json::to_string_pretty(manifest)),
        (
            PREPROCESSING_FILE,
            serde_json::to_string_pretty(preprocessing),
        ),
    ];
    for (name, text) in documents {
        let text = text.map_err(|e| Error::ModelFile {
            file: name,
            source: e.into(),
        })?;
        let path = dir.join(name);
        std::fs::write(&path, text + "\n").map_err(io(&path))?;
    }
    let path = dir.join(WEIGHTS_FILE);
    let mut store = BurnpackStore::from_file(&path)
        .overwrite(true)
        .metadata("model_id", &manifest.id);
    model.save_into(&mut store).map_err(|e| Error::Weights {
        message: format!("writing {}", path.display()),
        source: Some(e.into()),
    })?;
    Ok(())
}

/// Writes `baseline.json` into the model directory `dir`.
pub fn write_baseline(dir: impl AsRef<Path>, baseline: &Baseline) -> Result<()> {
    let path = dir.as_ref().join(BASELINE_FILE);
    let text = serde_json::to_string_pretty(baseline).map_err(|e| Error::ModelFile {
        file: BASELINE_FILE,
        source: e.into(),
    })?;
    std::fs::write(&path, text + "\n").map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Checks that the preprocessing feeds the architecture: the right number of columns, and
/// codes that fit the embedding of every embedded column.
pub(crate) fn check_fit(manifest: &ModelManifest, preprocessor: &Preprocessor) -> Result<()> {
    let architecture = &manifest.architecture;
    let columns = preprocessor.columns();
    if architecture.input_size != columns {
        return Err(Error::InvalidModel(format!(
            "preprocessing yields {columns} columns but the network reads {}",
            architecture.input_size
        )));
    }
    let Some(embedding) = &architecture.embedding else {
        return Ok(());
    };
    for (&column, &size) in embedding.columns.iter().zip(&embedding.cardinalities) {
        match preprocessor.cardinality(column) {
            Some(codes) if codes <= size => {}
            Some(codes) => {
                return Err(Error::InvalidModel(format!(
                    "column {column} yields {codes} codes but its embedding holds {size}"
                )));
            }
            None => {
                return Err(Error::InvalidModel(format!(
                    "column {column} is embedded but the preprocessing makes it a number"
                )));
            }
        }
    }
    Ok(())
}
