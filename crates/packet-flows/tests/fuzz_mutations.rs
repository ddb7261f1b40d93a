//! Randomly broken versions of the real captures — flipped bytes, cuts, inserted bytes and
//! corrupted length fields — go through the reader and the decoder, and through the whole
//! extraction (flow table, payload parsers, counts, rows). Nothing may panic; the memory
//! allocated while reading stays under the reader's buffer plus a fixed margin, whatever
//! lengths the bytes declare; and every packet that decodes is counted in exactly one record.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::fixture;
use packet_flows::unsw::Extractor;
use packet_flows::{CaptureReader, FlowTableConfig, MAX_INTERFACES, Skips};
use proptest::prelude::*;

/// Counts the bytes each thread has allocated and the peak since the last reset, so that
/// tests running in parallel do not see each other's allocations.
struct Counting;

thread_local! {
    static CURRENT: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn track(delta: i64) {
    let _ = CURRENT.try_with(|current| {
        let now = current.get() + delta;
        current.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the bookkeeping only
// touches const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size() as i64);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            track(layout.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as i64));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated at the peak of `f`, above what was allocated before it.
fn peak_allocation<T>(f: impl FnOnce() -> T) -> (T, i64) {
    let start = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, PEAK.with(Cell::get) - start)
}

/// Margin over the buffer: the pcapng interface table (up to MAX_INTERFACES entries of at most
/// 64 bytes, doubled by Vec growth), pcap-parser's per-block option lists, error messages.
const MARGIN: i64 = (MAX_INTERFACES * 64 * 2) as i64 + 64 * 1024;

const FIXTURES: [&str; 5] = [
    "ethernet.pcap",
    "nanosecond.pcap",
    "sll2.pcap",
    "multi.pcapng",
    "nanosecond.pcapng",
];

/// Offsets of the length fields of a capture: caplen and original length of each pcap record,
/// both block lengths of each pcapng block and the captured length of each packet block.
fn length_fields(bytes: &[u8]) -> Vec<usize> {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut fields = Vec::new();
    if bytes[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        let mut at = 0;
        while at + 12 <= bytes.len() {
            let len = u32_at(at + 4);
            fields.extend([at + 4, at + len - 4]);
            if u32_at(at) == 6 {
                fields.extend([at + 20, at + 24]);
            }
            at += len;
        }
    } else {
        let mut at = 24;
        while at + 16 <= bytes.len() {
            fields.extend([at + 8, at + 12]);
            at += 16 + u32_at(at + 8);
        }
    }
    fields
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip {
        at: usize,
        mask: u8,
    },
    Cut {
        at: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    /// Overwrite the `field`-th length field (modulo their number) with `value`.
    Length {
        field: usize,
        value: u32,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let value = prop_oneof![
        Just(0u32),
        Just(1),
        Just(0xffff_ffff),
        Just(0x7fff_ffff),
        Just(0x0004_0010),
        0u32..4096,
        any::<u32>(),
    ];
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), value).prop_map(|(field, value)| Mutation::Length { field, value }),
    ]
}

fn apply(original: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let fields = length_fields(original);
    let mut bytes = original.to_vec();
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        match m {
            Mutation::Flip { at, mask } => {
                let i = at % bytes.len();
                bytes[i] ^= mask;
            }
            Mutation::Cut { at } => bytes.truncate(at % bytes.len()),
            Mutation::Insert { at, bytes: new } => {
                let i = at % (bytes.len() + 1);
                bytes.splice(i..i, new.iter().copied());
            }
            Mutation::Length { field, value } => {
                let at = fields[field % fields.len()];
                if at + 4 <= bytes.len() {
                    let b = if bytes[..2] == [0xd4, 0xc3] || bytes[8] == 0x4d {
                        value.to_le_bytes()
                    } else {
                        value.to_be_bytes()
                    };
                    bytes[at..at + 4].copy_from_slice(&b);
                }
            }
        }
    }
    bytes
}

/// Reads and decodes everything; returns the packet count and the skips.
fn read_and_decode(bytes: &[u8], limit: usize) -> Option<(usize, Skips)> {
    let mut reader = CaptureReader::builder()
        .max_record_len(limit)
        .build(bytes)
        .ok()?;
    let mut skips = Skips::default();
    let mut packets = 0;
    while let Some(item) = reader.next_packet() {
        let Ok(packet) = item else { break };
        packets += 1;
        assert!(packet.captured.len() <= limit);
        if let Err(reason) = packet.decode() {
            skips.add(reason);
        }
    }
    skips.merge(reader.skips());
    Some((packets, skips))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_captures_neither_panic_nor_grow(
        which in 0..FIXTURES.len(),
        mutations in prop::collection::vec(mutation(), 1..5),
        limit in prop_oneof![Just(packet_flows::DEFAULT_MAX_RECORD_LEN), 256usize..20_000],
    ) {
        let original = fixture(FIXTURES[which]);
        let bytes = apply(&original, &mutations);
        let (result, peak) = peak_allocation(|| read_and_decode(&bytes, limit));
        prop_assert!(peak <= limit as i64 + MARGIN, "peak {peak} bytes with limit {limit}");
        if let Some((packets, skips)) = result {
            // Every packet record takes at least 16 bytes of input.
            prop_assert!(packets as u64 + skips.total() <= bytes.len() as u64 / 16 + 1);
        }
    }
}

/// Captures for the whole extraction: with FTP logins and transfers, DNS, a scan, so that the
/// payload parsers and the flow table's timers see broken real traffic.
const FLOW_FIXTURES: [&str; 4] = [
    "ethernet.pcap",
    "flows/ftp.pcap",
    "flows/dns-udp.pcap",
    "flows/scan.pcap",
];

/// Extracts rows from `bytes`; returns the packets that decoded and the packets the rows
/// count.
fn extract(bytes: &[u8], max_flows: usize) -> Option<(u64, u64)> {
    let mut reader = CaptureReader::new(bytes).ok()?;
    let config = FlowTableConfig {
        max_flows,
        ..FlowTableConfig::default()
    };
    let mut extractor = Extractor::new(config);
    let mut counted = 0;
    let mut count = |flows: Vec<packet_flows::unsw::ExtractedFlow>| {
        for flow in flows {
            counted += flow.row.spkts + flow.row.dpkts;
        }
    };
    while let Some(item) = reader.next_packet() {
        let Ok(packet) = item else { break };
        extractor.packet(&packet);
        count(extractor.ready());
    }
    count(extractor.finish());
    let decoded = extractor.packets() - extractor.skips().total();
    Some((decoded, counted))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_captures_extract_without_losing_a_packet(
        which in 0..FLOW_FIXTURES.len(),
        mutations in prop::collection::vec(mutation(), 1..5),
        max_flows in prop_oneof![Just(262_144usize), 1usize..4],
    ) {
        let bytes = apply(&fixture(FLOW_FIXTURES[which]), &mutations);
        if let Some((decoded, counted)) = extract(&bytes, max_flows) {
            prop_assert_eq!(decoded, counted);
        }
    }
}

#[test]
fn length_fields_are_found_in_every_fixture() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let fields = length_fields(&bytes);
        assert!(fields.len() >= 8, "{name}: {}", fields.len());
        assert!(fields.iter().all(|at| at + 4 <= bytes.len()), "{name}");
    }
}

#[test]
fn a_four_gigabyte_length_costs_one_buffer() {
    let mut pcap = fixture("ethernet.pcap");
    pcap[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let (result, peak) = peak_allocation(|| read_and_decode(&pcap, 65_536));
    assert_eq!(result.map(|(packets, _)| packets), Some(0));
    // The buffer is counted (so the measurement works), and nothing near 4 GiB is.
    assert!((65_536..=65_536 + 16 * 1024).contains(&peak), "peak {peak}");
}
