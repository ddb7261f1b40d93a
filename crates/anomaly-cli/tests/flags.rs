//! Numeric flags out of range are refused by the parser, with the accepted range and exit code
//! 2, before any command reads a file (the panics they once caused cannot happen).

use std::process::Command;

fn refused(args: &[&str], says: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains("invalid value") && stderr.contains(says),
        "{args:?}: {stderr}"
    );
}

#[test]
fn out_of_range_numbers_are_refused_with_the_range() {
    let train = ["train", "--data", "none.csv", "--out", "none"];
    let with = |base: &[&'static str], more: &[&'static str]| [base, more].concat();
    refused(
        &with(&train, &["--validation-fraction", "1.5"]),
        "must be above 0 and below 1, got 1.5",
    );
    refused(&with(&train, &["--test-fraction", "0"]), "must be above 0");
    refused(&with(&train, &["--dropout", "1"]), "must be in [0, 1)");
    refused(
        &with(&train, &["--learning-rate", "NaN"]),
        "must be in [0, 1]",
    );
    refused(&with(&train, &["--hidden-sizes", "64,0"]), "1..=4096");
    refused(&with(&train, &["--batch-size", "0"]), "1..=1048576");
    refused(
        &[
            "evaluate",
            "--data",
            "x.csv",
            "--model",
            "m",
            "--threshold",
            "2",
        ],
        "must be from 0 to 1",
    );
    refused(&["score", "x.csv", "--batch", "0"], "1..=65536");
    refused(
        &["explain-eval", "--data", "x.csv", "--offset", "2000000000"],
        "0..=1000000000",
    );
}
