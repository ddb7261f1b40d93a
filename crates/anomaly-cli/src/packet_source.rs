//! Where packets come from: a capture file read through, or an interface captured until
//! Ctrl-C or a deadline. `extract`, `score` and `watch` drive their pipelines through here.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use packet_flows::live::LiveCapture;
use packet_flows::{CaptureFormat, CaptureReader, Packet, Skips, Timestamp};

/// What the source hands its consumer.
pub enum Input<'a, 'p> {
    /// A captured packet.
    Packet(&'a Packet<'p>),
    /// No packet came for a while (a quiet interface): the wall clock, in capture time.
    Idle(Timestamp),
}

/// What a source counted besides the packets it handed over.
#[derive(Debug, Default)]
pub struct SourceCounts {
    /// Records or packets skipped before decoding, by reason.
    pub skips: Skips,
    /// Packets libpcap dropped (buffer and interface), for a live capture.
    pub dropped: u64,
    /// Why a live capture ended early (the interface went away): the caller writes out
    /// what it holds, then reports it.
    pub error: Option<anyhow::Error>,
}

impl SourceCounts {
    /// `Err` with the capture's error, if it ended on one.
    pub fn result(&mut self) -> anyhow::Result<()> {
        self.error.take().map_or(Ok(()), Err)
    }
}

/// Whether the file at `path` is a pcap or pcapng capture (by its magic number).
pub fn is_capture(path: &Path) -> anyhow::Result<bool> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let n = file
        .read(&mut magic)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(CaptureFormat::from_magic(&magic[..n]).is_some())
}

/// Reads the capture at `path` through, with a progress spinner on stderr.
pub fn read_file(
    path: &Path,
    mut each: impl FnMut(Input<'_, '_>) -> anyhow::Result<()>,
) -> anyhow::Result<SourceCounts> {
    let mut reader = CaptureReader::open(path)?;
    let progress = ProgressBar::new_spinner().with_style(ProgressStyle::with_template(
        "{spinner} {human_pos} packets, {per_sec}, {elapsed}",
    )?);
    let mut packets = 0u64;
    while let Some(packet) = reader.next_packet() {
        each(Input::Packet(
            &packet.with_context(|| format!("reading {}", path.display()))?,
        ))?;
        packets += 1;
        if packets.is_multiple_of(65_536) {
            progress.set_position(packets);
        }
    }
    progress.finish_and_clear();
    Ok(SourceCounts {
        skips: reader.skips().clone(),
        ..SourceCounts::default()
    })
}

/// The instant `seconds` from now (`None`: no deadline); a clear error for a negative,
/// infinite or not-a-number duration.
pub fn deadline(seconds: Option<f64>) -> anyhow::Result<Option<Instant>> {
    let Some(seconds) = seconds else {
        return Ok(None);
    };
    let at = Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|d| Instant::now().checked_add(d));
    at.map(Some).with_context(|| {
        format!("--duration {seconds}: expected a finite, non-negative number of seconds")
    })
}

/// Captures on `interface` (through `bpf` if given) until Ctrl-C or `deadline`. `each` also
/// gets an [`Input::Idle`] after every read timeout, and `dropped` libpcap's drops so far
/// about once a second.
pub fn capture_live(
    interface: &str,
    bpf: Option<&str>,
    deadline: Option<Instant>,
    mut each: impl FnMut(Input<'_, '_>) -> anyhow::Result<()>,
    mut dropped: impl FnMut(u64),
) -> anyhow::Result<SourceCounts> {
    let mut capture = LiveCapture::open(interface, bpf)?;
    let stop = Arc::new(AtomicBool::new(false));
    let handler = stop.clone();
    ctrlc::set_handler(move || handler.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")?;
    eprintln!(
        "capturing on {interface} (link type {}){}",
        capture.link_type().0,
        bpf.map(|f| format!(", filter {f:?}")).unwrap_or_default()
    );
    let mut last_stats = Instant::now();
    let mut error = None;
    while !stop.load(Ordering::SeqCst) && deadline.is_none_or(|d| Instant::now() < d) {
        match capture.next_packet() {
            Ok(Some(packet)) => each(Input::Packet(&packet))?,
            Ok(None) => each(Input::Idle(wall_clock()))?,
            Err(e) => {
                error = Some(anyhow::Error::from(e));
                break;
            }
        }
        if last_stats.elapsed() >= Duration::from_secs(1) {
            if let Ok(stats) = capture.stats() {
                dropped(u64::from(stats.dropped) + u64::from(stats.interface_dropped));
            }
            last_stats = Instant::now();
        }
    }
    // A vanished interface has no counts left to give.
    let mut total_dropped = 0;
    match capture.stats() {
        Ok(stats) => {
            eprintln!(
                "libpcap: {} packets received, {} dropped by the buffer, {} by the interface",
                stats.received, stats.dropped, stats.interface_dropped
            );
            total_dropped = u64::from(stats.dropped) + u64::from(stats.interface_dropped);
            dropped(total_dropped);
        }
        Err(e) => {
            error.get_or_insert(e.into());
        }
    }
    Ok(SourceCounts {
        skips: capture.skips().clone(),
        dropped: total_dropped,
        error,
    })
}

/// Now, as a capture timestamp.
pub fn wall_clock() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_nanos(i64::try_from(since_epoch.as_nanos()).unwrap_or(i64::MAX))
}
