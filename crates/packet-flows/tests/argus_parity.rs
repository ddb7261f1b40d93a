//! The flow table against Argus 3.0.8, the tool UNSW-NB15's records were made with, on the
//! repository's real captures.
//!
//! `tests/fixtures/argus/<capture>.csv` is `ra`'s reading of `argus` run on the capture of
//! that name (in `tests/fixtures/` or `tests/fixtures/flows/`), made by
//! `scripts/argus-parity.sh` with the command lines the dataset's features need. Every
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
    for entry in std::fs::read_dir(fixtures().join("argus")).expect("tests/fixtures/argus") {
        let reference = entry.expect("directory entry").path();
        let name = reference.file_stem().expect("file name").to_owned();
        let capture = [fixtures(), fixtures().join("flows")]
            .into_iter()
            .map(|dir| dir.join(&name))
            .find(|path| path.exists())
            .unwrap_or_else(|| panic!("no capture for {}", reference.display()));
        pairs.push((capture, reference));
    }
    pairs.sort();
    assert!(pairs.len() >= 7, "references: {pairs:?}");
    pairs
}

#[test]
fn every_argus_record_is_matched_and_agrees() {
    let mut failures = Vec::new();
    for (capture, reference) in references() {
        let theirs = compare::parse_ra(&std::fs::read_to_string(&reference).unwrap());
        let ours = compare::our_rows(capture.to_str().unwrap(), FlowTableConfig::default());
        let report = compare::compare(&theirs, &ours);
        println!(
            "{}: argus {} records, ours {}, matched {}, agreeing {}",
            capture.display(),
            report.theirs,
            report.ours,
            report.matched,
            report.agreeing
        );
        assert!(
            report.theirs > 0,
            "{}: an empty reference",
            reference.display()
        );
        if report.matched_share() < 0.99 || report.agreeing_share() < 0.99 {
            failures.push(format!(
                "{}: {:?}\n{}",
                capture.display(),
                report.disagreements,
                report.examples
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
