//! Dataset readers on committed fixtures (always) and on the real UNSW-NB15 files (when
//! `../shared/data` is present).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use flow_features::{Error, FlowFileReader, LabeledFlow, Preprocessor, read_flows};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn seed_preprocessor() -> Preprocessor {
    Preprocessor::from_file(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../models/unsw-nb15-seed/preprocessing.json"),
    )
    .unwrap()
}

fn label_counts(rows: &[LabeledFlow]) -> (usize, usize) {
    let attacks = rows.iter().filter(|r| r.label == Some(1)).count();
    (rows.len() - attacks, attacks)
}

/// Parquet stores some columns as float32, the CSV as decimal text: equal to f32 precision.
fn assert_same_rows(a: &[LabeledFlow], b: &[LabeledFlow]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(
            (x.label, &x.attack_cat),
            (y.label, &y.attack_cat),
            "row {i}"
        );
        for (vx, vy) in x.flow.values().iter().zip(y.flow.values()) {
            match (vx, vy) {
                (
                    flow_features::FeatureValue::Number(p),
                    flow_features::FeatureValue::Number(q),
                ) => {
                    assert!(
                        (p - q).abs() <= 1e-6 * p.abs().max(1.0),
                        "row {i}: {p} vs {q}"
                    )
                }
                (p, q) => assert_eq!(p, &q, "row {i}"),
            }
        }
    }
}

#[test]
fn small_parquet_and_csv_fixtures_hold_the_same_rows() {
    let parquet = read_flows(fixture("flows_small.parquet")).unwrap();
    let csv = read_flows(fixture("flows_small.csv")).unwrap();
    assert_eq!(label_counts(&parquet), (16, 16));
    assert_same_rows(&parquet, &csv);
    let first = &csv[0];
    assert_eq!(
        (
            first.flow.proto.as_str(),
            first.flow.service.as_str(),
            first.flow.state.as_str()
        ),
        ("udp", "-", "INT")
    );
    assert_eq!(
        (first.flow.dur, first.flow.sbytes, first.flow.rate),
        (1.1e-05, 496.0, 90909.0902)
    );
    assert_eq!(first.attack_cat.as_deref(), Some("Normal"));
    assert_eq!(
        csv[31].attack_cat.as_deref().map(|c| c != "Normal"),
        Some(true)
    );
    // Every row encodes with the seed model's training vocabularies.
    let flows: Vec<_> = parquet.into_iter().map(|r| r.flow).collect();
    let matrix = seed_preprocessor().encode(&flows).unwrap();
    assert_eq!((matrix.rows(), matrix.columns()), (32, 34));
    assert_eq!(matrix.sliding_windows(10).count(), 23);
}

#[test]
fn csv_with_a_utf8_bom_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.csv");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(fixture("flows_small.csv")).unwrap());
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(
        read_flows(&path).unwrap(),
        read_flows(fixture("flows_small.csv")).unwrap()
    );
}

#[test]
fn malformed_files_give_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("flows_small.csv")).unwrap();

    let bad_value = dir.path().join("bad_value.csv");
    std::fs::write(&bad_value, text.replacen("1.1e-05,udp", "abc,udp", 1)).unwrap();
    let err = read_flows(&bad_value).unwrap_err().to_string();
    assert!(
        err.contains("row 1, column dur: \"abc\" is not a number"),
        "{err}"
    );

    let negative = dir.path().join("negative.csv");
    std::fs::write(
        &negative,
        text.replacen("1.1e-05,udp,-,INT,2", "1.1e-05,udp,-,INT,-2", 1),
    )
    .unwrap();
    let err = read_flows(&negative).unwrap_err();
    // The record's own error is kept as the source, under the file and row.
    assert!(err.to_string().ends_with("negative.csv: row 1"), "{err}");
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert!(cause.contains("spkts: must be >= 0"), "{cause}");

    let missing = dir.path().join("missing.csv");
    std::fs::write(&missing, text.replacen(",rate,", ",rte,", 1)).unwrap();
    let err = read_flows(&missing).unwrap_err().to_string();
    assert!(err.contains("missing feature columns: rate"), "{err}");

    assert!(matches!(
        read_flows(dir.path().join("absent.parquet")),
        Err(Error::Io { .. })
    ));
    assert!(matches!(
        FlowFileReader::open("flows.xlsx"),
        Err(Error::Dataset { .. })
    ));
    let not_parquet = dir.path().join("fake.parquet");
    std::fs::write(&not_parquet, "id,dur\n").unwrap();
    assert!(matches!(
        read_flows(&not_parquet),
        Err(Error::Dataset { .. })
    ));
}

/// The real files, or `None` with a printed reason so a clone without `../shared` passes,
/// unless `REQUIRE_DATA` is set (CI, which has `../shared`).
fn shared_data(extension: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../../shared/data/UNSW_NB15_testing-set.dev.{extension}"
    ));
    if path.exists() {
        Some(path)
    } else {
        assert!(
            std::env::var_os("REQUIRE_DATA").is_none(),
            "REQUIRE_DATA is set but {} is absent",
            path.display()
        );
        // Past the harness's capture: every run shows the skip, and .ci/run counts it.
        writeln!(
            std::io::stderr(),
            "skipped: {} is absent (the shared UNSW-NB15 rows are not in this checkout)",
            path.display()
        )
        .ok();
        None
    }
}

#[test]
fn real_parquet_and_csv_files_hold_65865_rows_with_the_published_labels() {
    let (Some(parquet), Some(csv)) = (shared_data("parquet"), shared_data("csv")) else {
        return;
    };
    let from_parquet = read_flows(&parquet).unwrap();
    let from_csv = read_flows(&csv).unwrap();
    assert_eq!(from_parquet.len(), 65_865);
    assert_eq!(label_counts(&from_parquet), (29_600, 36_265));
    assert_same_rows(&from_parquet, &from_csv);

    let mut protos: Vec<_> = from_csv.iter().map(|r| r.flow.proto.as_str()).collect();
    protos.sort_unstable();
    protos.dedup();
    assert_eq!(
        protos.len(),
        131,
        "the dev rows lack icmp and rtp of the 133 training values"
    );
    let flows: Vec<_> = from_csv.into_iter().map(|r| r.flow).collect();
    let matrix = seed_preprocessor()
        .encode(&flows)
        .expect("every real row is in the vocabularies");
    assert_eq!(matrix.sliding_windows(10).len(), 65_856);
}
