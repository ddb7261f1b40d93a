//! Compares the flow table with Argus on one capture.
//!
//! `scripts/argus-parity.sh` runs Argus and `ra` and then this:
//!
//! ```text
//! cargo run --release -p packet-flows --example argus_parity -- capture.pcap argus.csv
//! ```
//!
//! It prints how many of Argus's records the table matched, the share on which every field
//! agrees, the disagreements per field and examples of them.

mod compare;

use packet_flows::FlowTableConfig;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [capture, csv] = args.as_slice() else {
        eprintln!("usage: argus_parity <capture> <ra output>");
        std::process::exit(2);
    };
    let theirs = std::fs::read_to_string(csv).unwrap_or_else(|e| {
        eprintln!("{csv}: {e}");
        std::process::exit(2)
    });
    let report = compare::compare(
        &compare::parse_ra(&theirs),
        &compare::our_rows(capture, FlowTableConfig::default()),
    );
    print!("{}", report.examples);
    println!(
        "{capture}: argus {} records, ours {}; matched {} ({:.2} %), all fields agree on {} \
         ({:.2} % of matched)",
        report.theirs,
        report.ours,
        report.matched,
        100.0 * report.matched_share(),
        report.agreeing,
        100.0 * report.agreeing_share()
    );
    for (field, n) in &report.disagreements {
        println!("  {field}: {n} disagree");
    }
}
