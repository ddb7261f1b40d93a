//! The detector models shipped in the repository's `models/` directory, compiled into the
//! library, so the service, the CLI and library users load them by name from any working
//! directory:
//!
//! - `unsw-nb15-lstm` — trained in Rust by `anomaly train` (the default);
//! - `unsw-nb15-seed` — the original Keras model, converted.
//!
//! [`load`] takes such a name or a model directory (`model.json`, `preprocessing.json`,
//! `weights.bpk`, optional `baseline.json`).
//!
//! ```
//! let detector = embedded_models::load(embedded_models::DEFAULT)?;
//! assert_eq!(detector.manifest().id, "unsw-nb15-lstm");
//! assert_eq!(detector.sequence_length(), 10);
//! # Ok::<(), embedded_models::Error>(())
//! ```
#![deny(missing_docs)]

use lstm_detector::{Backend, Detector, ModelFiles};

/// Names of the embedded detectors, the default first.
pub const NAMES: [&str; 2] = ["unsw-nb15-lstm", "unsw-nb15-seed"];

/// The default detector's name.
pub const DEFAULT: &str = NAMES[0];

/// Why [`load`] found no detector.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An embedded detector failed to load (a build with damaged model files).
    #[error("embedded detector {name}: {source}")]
    Embedded {
        /// Its name.
        name: &'static str,
        /// What the detector reported.
        source: lstm_detector::Error,
    },
    /// Not an embedded name, and not a readable model directory.
    #[error("{given}: {source} (give a model directory or an embedded detector: {names})", names = NAMES.join(", "))]
    Directory {
        /// What was given.
        given: String,
        /// What reading it as a directory reported.
        source: lstm_detector::Error,
    },
}

/// The files of embedded detector `name`, or `None` for another name.
pub fn files(name: &str) -> Option<ModelFiles> {
    macro_rules! model_files {
        ($dir:literal) => {
            ModelFiles {
                manifest: include_str!(concat!("../../../models/", $dir, "/model.json")).into(),
                preprocessing: include_str!(concat!(
                    "../../../models/",
                    $dir,
                    "/preprocessing.json"
                ))
                .into(),
                weights: include_bytes!(concat!("../../../models/", $dir, "/weights.bpk"))
                    .as_slice()
                    .into(),
                baseline: Some(
                    include_str!(concat!("../../../models/", $dir, "/baseline.json")).into(),
                ),
            }
        };
    }
    match name {
        "unsw-nb15-lstm" => Some(model_files!("unsw-nb15-lstm")),
        "unsw-nb15-seed" => Some(model_files!("unsw-nb15-seed")),
        _ => None,
    }
}

/// The embedded detector `name_or_dir`, else the model directory at that path.
pub fn load(name_or_dir: &str) -> Result<Detector, Error> {
    match NAMES.iter().find(|&&name| name == name_or_dir) {
        Some(&name) => {
            let files = files(name).expect("every name in NAMES has files");
            Detector::load(&files, Backend::default())
                .map_err(|source| Error::Embedded { name, source })
        }
        None => Detector::from_dir(name_or_dir).map_err(|source| Error::Directory {
            given: name_or_dir.to_owned(),
            source,
        }),
    }
}

/// The README's Rust examples, compiled (and the first one run) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;

#[cfg(test)]
mod tests {
    #[test]
    fn every_name_loads_with_its_baseline_and_other_strings_are_directories() {
        for name in super::NAMES {
            let detector = super::load(name).unwrap();
            assert_eq!(detector.manifest().id, name);
            assert!(detector.baseline().is_some(), "{name}");
        }
        let error = super::load("no-such-model").unwrap_err().to_string();
        assert!(
            error.starts_with("no-such-model: ")
                && error.ends_with("(give a model directory or an embedded detector: unsw-nb15-lstm, unsw-nb15-seed)"),
            "{error}"
        );
    }
}
