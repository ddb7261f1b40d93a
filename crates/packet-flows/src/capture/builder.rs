//! Options for opening a capture.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::CaptureReader;
use crate::Error;

/// The default [`CaptureReaderBuilder::max_record_len`]: libpcap's largest snapshot length
/// (256 KiB) plus 64 KiB for record headers and pcapng options.
pub const DEFAULT_MAX_RECORD_LEN: usize = 256 * 1024 + 64 * 1024;
/// The smallest accepted limit: room for any file header and a small packet.
pub const MIN_MAX_RECORD_LEN: usize = 256;

/// Options for a [`CaptureReader`].
///
/// ```
/// use packet_flows::CaptureReaderBuilder;
///
/// let pcap = include_bytes!("../../tests/fixtures/raw.pcap");
/// let reader = CaptureReaderBuilder::new().max_record_len(4096).build(&pcap[..]).unwrap();
/// assert_eq!(reader.buffer_capacity(), 4096);
/// ```
#[derive(Clone, Debug)]
pub struct CaptureReaderBuilder {
    max_record_len: usize,
}

impl Default for CaptureReaderBuilder {
    fn default() -> Self {
        CaptureReaderBuilder {
            max_record_len: DEFAULT_MAX_RECORD_LEN,
        }
    }
}

impl CaptureReaderBuilder {
    /// The default options.
    pub fn new() -> CaptureReaderBuilder {
        CaptureReaderBuilder::default()
    }

    /// The largest record or block accepted, headers and options included, which is also the
    /// reader's buffer size. A record declaring more is [`Error::RecordTooLarge`]. Values
    /// below [`MIN_MAX_RECORD_LEN`] are raised to it.
    #[must_use]
    pub fn max_record_len(mut self, bytes: usize) -> CaptureReaderBuilder {
        self.max_record_len = bytes.max(MIN_MAX_RECORD_LEN);
        self
    }

    /// Opens the capture file at `path`.
    pub fn open(self, path: impl AsRef<Path>) -> Result<CaptureReader<File>, Error> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| Error::Open {
            path: path.into(),
            source,
        })?;
        self.build(file)
    }

    /// Reads a capture from `reader`, detecting pcap or pcapng from its first bytes.
    pub fn build<R: Read>(self, reader: R) -> Result<CaptureReader<R>, Error> {
        CaptureReader::with_limit(reader, self.max_record_len)
    }
}
