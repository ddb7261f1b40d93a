//! The evaluation protocol shared by `train` and `evaluate`: a stratified random split of a
//! labelled flow file (seed 42, 30 % held out), each part's rows in the split's random order,
//! windows of consecutive rows within a part, each labelled with its last row.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use flow_features::{FlowFileReader, FlowRecord, NORMAL_CATEGORY, Split, is_category_text};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How the rows of a file are split (recorded in model cards).
#[derive(clap::Args, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitArgs {
    /// Share of each label's rows held out for testing.
    #[arg(long, default_value_t = 0.3, value_parser = crate::ranges::fraction)]
    pub test_fraction: f64,
    /// Seed of the split.
    #[arg(long, default_value_t = 42)]
    pub split_seed: u64,
}

/// A labelled flow file in memory.
pub struct LabeledFile {
    pub path: PathBuf,
    pub flows: Vec<FlowRecord>,
    pub labels: Vec<u8>,
    /// Each row's `attack_cat` (trimmed; an empty one of a normal row is `Normal`), when
    /// every row has one.
    pub categories: Option<Vec<String>>,
}

/// One part of a split: flows, labels and categories in window order.
pub struct Part {
    pub flows: Vec<FlowRecord>,
    pub labels: Vec<u8>,
    pub categories: Option<Vec<String>>,
}

impl LabeledFile {
    /// Reads every row; each must have a `label`.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let mut flows = Vec::new();
        let mut labels = Vec::new();
        let mut categories = Some(Vec::new());
        for (row, flow) in FlowFileReader::open(path)?.enumerate() {
            let flow = flow?;
            let Some(label) = flow.label else {
                bail!(
                    "{}: row {} has no label; training and evaluation need a label column",
                    path.display(),
                    row + 1
                );
            };
            let category = match flow.attack_cat.as_deref().map(str::trim) {
                Some("") if label == 0 => Some(NORMAL_CATEGORY.to_owned()),
                Some("") | None => None,
                Some(name) if is_category_text(name) => Some(name.to_owned()),
                Some(name) => bail!(
                    "{}: row {}: attack_cat {name:?} is not 1 to 32 characters among letters, \
                     digits and ._/+-",
                    path.display(),
                    row + 1
                ),
            };
            // One row without a category and the file has none: a head needs them all.
            match (category, &mut categories) {
                (Some(category), Some(all)) => all.push(category),
                _ => categories = None,
            }
            flows.push(flow.flow);
            labels.push(label);
        }
        Ok(Self {
            path: path.to_owned(),
            flows,
            labels,
            categories,
        })
    }

    /// The protocol's (train, test) parts.
    pub fn split(&self, args: &SplitArgs) -> (Part, Part) {
        let split = Split::stratified(&self.labels, args.test_fraction, args.split_seed);
        (self.part(&split.train), self.part(&split.test))
    }

    /// Every row, stratified-shuffled as the protocol orders a part.
    pub fn all(&self, seed: u64) -> Part {
        self.part(&Split::stratified(&self.labels, 1.0, seed).test)
    }

    fn part(&self, rows: &[usize]) -> Part {
        Part {
            flows: rows.iter().map(|&r| self.flows[r].clone()).collect(),
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
            categories: self
                .categories
                .as_ref()
                .map(|all| rows.iter().map(|&r| all[r].clone()).collect()),
        }
    }
}

impl Part {
    /// Splits off the last `fraction` of the rows (Keras' `validation_split`).
    pub fn split_off_tail(mut self, fraction: f64) -> (Part, Part) {
        let tail = (self.flows.len() as f64 * fraction.clamp(0.0, 1.0)).round() as usize;
        let keep = self.flows.len().saturating_sub(tail);
        let tail = Part {
            flows: self.flows.split_off(keep),
            labels: self.labels.split_off(keep),
            categories: self.categories.as_mut().map(|all| all.split_off(keep)),
        };
        (self, tail)
    }

    /// The part's category names, most frequent first (ties by name): a category head's
    /// output order. `None` without categories.
    pub fn category_names(&self) -> Option<Vec<String>> {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for name in self.categories.as_ref()? {
            *counts.entry(name).or_default() += 1;
        }
        let mut names: Vec<(&str, usize)> = counts.into_iter().collect();
        names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        Some(names.into_iter().map(|(name, _)| name.to_owned()).collect())
    }

    /// Each row's category as an index into `names` (`None` for a name not among them).
    pub fn category_indices(&self, names: &[String]) -> Option<Vec<Option<u8>>> {
        let index: std::collections::HashMap<&str, u8> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i as u8))
            .collect();
        Some(
            self.categories
                .as_ref()?
                .iter()
                .map(|name| index.get(name.as_str()).copied())
                .collect(),
        )
    }
}

/// File name and SHA-256 of a data file, for model cards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    pub name: String,
    pub sha256: String,
    pub rows: usize,
}

impl DataFile {
    pub fn describe(file: &LabeledFile) -> anyhow::Result<Self> {
        let bytes = std::fs::read(&file.path)
            .with_context(|| format!("reading {}", file.path.display()))?;
        let digest = Sha256::digest(&bytes);
        Ok(Self {
            name: file.path.file_name().map_or_else(
                || file.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
            rows: file.flows.len(),
        })
    }
}
