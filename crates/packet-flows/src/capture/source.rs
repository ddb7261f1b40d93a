//! The byte source under pcap-parser's reader.
//!
//! pcap-parser turns every I/O failure into a bare `PcapError::ReadError`; this wrapper keeps
//! the `io::Error` aside so the crate's [`Error::Read`](crate::Error::Read) can carry it as its
//! source. It also retries reads interrupted by a signal, which pcap-parser would treat as
//! failures.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

/// Where [`Source`] leaves the last I/O error for the capture reader to pick up.
#[derive(Clone, Debug, Default)]
pub struct ErrorSlot(Arc<Mutex<Option<io::Error>>>);

impl ErrorSlot {
    /// Takes the stored error, or makes one saying it went missing.
    pub fn take(&self) -> io::Error {
        let stored = self.0.lock().map(|mut slot| slot.take()).unwrap_or(None);
        stored.unwrap_or_else(|| io::Error::other("read failed (no error recorded)"))
    }

    fn put(&self, error: io::Error) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(error);
        }
    }
}

/// A reader that records its errors in an [`ErrorSlot`].
#[derive(Debug)]
pub struct Source<R> {
    inner: R,
    errors: ErrorSlot,
}

impl<R: Read> Source<R> {
    pub fn new(inner: R, errors: ErrorSlot) -> Source<R> {
        Source { inner, errors }
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let kind = e.kind();
                    self.errors.put(e);
                    return Err(io::Error::from(kind));
                }
                Ok(n) => return Ok(n),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flaky(u8);

    impl Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0 += 1;
            match self.0 {
                1 => Err(io::ErrorKind::Interrupted.into()),
                2 => {
                    buf[0] = 7;
                    Ok(1)
                }
                _ => Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "disk says no",
                )),
            }
        }
    }

    #[test]
    fn retries_interrupts_and_keeps_other_errors() {
        let slot = ErrorSlot::default();
        let mut source = Source::new(Flaky(0), slot.clone());
        let mut buf = [0u8; 4];
        assert_eq!(source.read(&mut buf).unwrap(), 1);
        assert!(source.read(&mut buf).is_err());
        let kept = slot.take();
        assert_eq!(kept.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(kept.to_string(), "disk says no");
        assert_eq!(slot.take().to_string(), "read failed (no error recorded)");
    }
}
