//! The flow table against Argus 3.0.8, the tool UNSW-NB15's records were made with, on the
//! repository's real captures.
//!
//! `tests/fixtures/argus/<capture>.csv` is `ra`'s reading of `argus` run on
//! `tests/fixtures/<capture>` (the reader's fixtures, and under `flows/` the captures of
//! `scripts/make-flow-captures.sh`: HTTP, FTP, DNS, scans, resets, losses, long flows), made by
//! `scripts/argus-parity.sh --save` with the command lines the dataset's features need. Every
//! Argus record must be matched and agree on every compared field, except the captures
//! listed in [`ARGUS_CANNOT_READ`]. Where Argus is installed (`REQUIRE_ARGUS=1` makes it a
//! requirement, as in CI) the references are made again and must equal the committed ones.

#[path = "../examples/argus_parity/compare.rs"]
mod compare;

use std::path::{Path, PathBuf};
use std::process::Command;

use packet_flows::FlowTableConfig;

/// Captures Argus 3.0.8 reads no records from: it does not decode Linux cooked v2 (SLL2)
/// frames ("unsupported device type 276"), and it reads through libpcap, which gives up on a
/// pcapng file whose interfaces have different link types.
const ARGUS_CANNOT_READ: [&str; 2] = ["sll2.pcap", "multi.pcapng"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every (capture, committed reference) pair.
fn references() -> Vec<(PathBuf, PathBuf)> {
    let mut pairs = Vec::new();
    for sub in ["", "flows"] {
        let dir = fixtures().join("argus").join(sub);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let reference = entry.expect("directory entry").path();
            if reference.extension().is_none_or(|e| e != "csv") {
                continue;
            }
            let name = reference.file_stem().expect("file name");
            let capture = fixtures().join(sub).join(name);
            assert!(capture.exists(), "no capture for {}", reference.display());
            pairs.push((capture, reference));
        }
    }
    pairs.sort();
    assert!(pairs.len() >= 14, "references: {pairs:?}");
    pairs
}

/// Every capture's Argus records are matched (≥ 99 % each), and over all captures every
/// compared field agrees on ≥ 99 % of the matched records. The known exception (README,
/// "Parity with Argus"): where Argus prints `-nan` for a jitter, its single-precision
/// variance of near-equal long gaps having cancelled below zero, ours is the standard
/// deviation.
#[test]
fn every_argus_record_is_matched_and_agrees() {
    let (mut matched, mut agreeing, mut theirs) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut examples = String::new();
    for (capture, reference) in references() {
        let argus = compare::parse_ra(&std::fs::read_to_string(&reference).unwrap());
        let ours = compare::our_rows(capture.to_str().unwrap(), FlowTableConfig::default());
        let report = compare::compare(&argus, &ours);
        println!(
            "{}: argus {} records, ours {}, matched {}, agreeing {} {:?}",
            capture.display(),
            report.theirs,
            report.ours,
            report.matched,
            report.agreeing,
            report.disagreements
        );
        assert!(
            report.theirs > 0,
            "{}: an empty reference",
            reference.display()
        );
        if report.matched_share() < 0.99 {
            failures.push(format!("{}: {}", capture.display(), report.examples));
        }
        (matched, agreeing, theirs) = (
            matched + report.matched,
            agreeing + report.agreeing,
            theirs + report.theirs,
        );
        examples.push_str(&report.examples);
    }
    println!("all: argus {theirs} records, matched {matched}, agreeing {agreeing}");
    assert!(
        failures.is_empty(),
        "unmatched records:\n{}",
        failures.join("\n")
    );
    assert!(
        agreeing as f64 >= 0.99 * matched as f64,
        "{agreeing} of {matched} agree:\n{examples}"
    );
    assert!(theirs >= 250, "the references hold {theirs} records");
}

#[test]
fn captures_argus_cannot_read_give_no_argus_records_but_ours() {
    for name in ARGUS_CANNOT_READ {
        let path = fixtures().join(name);
        let ours = compare::our_rows(path.to_str().unwrap(), FlowTableConfig::default());
        assert!(!ours.is_empty(), "{name}");
        assert!(
            !fixtures()
                .join("argus")
                .join(format!("{name}.csv"))
                .exists()
        );
    }
}

/// `argus` then `ra` on `capture`, as `scripts/argus-parity.sh` runs them.
fn run_argus(capture: &Path) -> String {
    let dir = tempfile_dir();
    let records = dir.join("records.argus");
    let status = Command::new("argus")
        .args(["-X", "-J", "-R", "-A", "-U", "128", "-S", "60", "-r"])
        .arg(capture)
        .arg("-w")
        .arg(&records)
        .status()
        .expect("argus runs");
    assert!(status.success(), "argus on {}", capture.display());
    let mut ra = Command::new("ra");
    ra.arg("-r")
        .arg(&records)
        .args(["-n", "-u", "-p", "6", "-c", ",", "-L", "0", "-s"])
        .args(compare::RA_FIELDS.split_whitespace())
        .args(["-", "ip", "or", "arp"]);
    let output = ra.output().expect("ra runs");
    assert!(output.status.success(), "ra on {}", capture.display());
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8(output.stdout).expect("ra prints text")
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "packet-flows-argus-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn committed_references_are_what_argus_writes() {
    let installed = Command::new("argus").arg("-h").output().is_ok();
    if !installed {
        assert!(
            std::env::var_os("REQUIRE_ARGUS").is_none(),
            "REQUIRE_ARGUS is set but argus is not installed"
        );
        eprintln!("skipped: argus is not installed");
        return;
    }
    for (capture, reference) in references() {
        let fresh = run_argus(&capture);
        let committed = std::fs::read_to_string(&reference).unwrap();
        assert_eq!(fresh, committed, "{}", reference.display());
    }
}
