//! Inter-packet times and jitter, as Argus keeps them.
//!
//! Argus sorts each direction's gaps between consecutive packets into "active" ones (before a
//! packet carrying data) and "idle" ones (before a pure acknowledgment, a retransmission or a
//! zero window), skipping zero gaps and gaps of two status intervals or more, and keeps the
//! count, sum and sum of squares of each kind in microseconds. `ra` prints the mean gap in
//! milliseconds and the jitter as a standard deviation, with a unit slip when both kinds are
//! present that UNSW-NB15 carries: [`Gaps::jitter_ms`] reproduces it.

/// Count, sum and sum of squares of some gaps, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Moments {
    n: u64,
    sum: f64,
    sum_sq: f64,
}

impl Moments {
    fn add(&mut self, micros: f64) {
        self.n += 1;
        self.sum += micros;
        self.sum_sq += micros * micros;
    }

    fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }

    /// The population standard deviation, 0 below two gaps.
    fn std_dev(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let mean = self.mean();
        (self.sum_sq / self.n as f64 - mean * mean).max(0.0).sqrt()
    }
}

/// Which kind a gap is, decided by the packet that ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GapKind {
    /// The packet carries data.
    Active,
    /// A pure acknowledgment, a retransmission or a zero-window packet.
    Idle,
}

/// One direction's gaps.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Gaps {
    active: Moments,
    idle: Moments,
    last_nanos: Option<i64>,
}

impl Gaps {
    /// Records a packet at `nanos`; `limit_nanos` is the longest gap counted (two status
    /// intervals).
    pub(crate) fn packet(&mut self, nanos: i64, kind: GapKind, limit_nanos: i64) {
        if let Some(last) = self.last_nanos.replace(nanos) {
            let gap = nanos.saturating_sub(last);
            if gap > 0 && gap < limit_nanos {
                let micros = gap as f64 / 1_000.0;
                match kind {
                    GapKind::Active => self.active.add(micros),
                    GapKind::Idle => self.idle.add(micros),
                }
            }
        }
    }

    /// Starts a new record: the counts restart, the last packet's time is kept so the first
    /// gap of the next record is measured from it.
    pub(crate) fn restart(&mut self) {
        *self = Gaps {
            last_nanos: self.last_nanos,
            ..Gaps::default()
        };
    }

    /// The mean gap in milliseconds (`sintpkt`).
    pub(crate) fn mean_ms(&self) -> f64 {
        let n = self.active.n + self.idle.n;
        if n == 0 {
            0.0
        } else {
            (self.active.sum + self.idle.sum) / n as f64 / 1_000.0
        }
    }

    /// The jitter in milliseconds (`sjit`): with one kind of gap its standard deviation; with
    /// both, `ra`'s combination `√(1000 · mean(x²) − mean(x)²)` over all gaps in
    /// microseconds, divided by 1000.
    pub(crate) fn jitter_ms(&self) -> f64 {
        match (self.active.n, self.idle.n) {
            (0, _) => self.idle.std_dev() / 1_000.0,
            (_, 0) => self.active.std_dev() / 1_000.0,
            (a, i) => {
                let n = (a + i) as f64;
                let mean = (self.active.sum + self.idle.sum) / n;
                let mean_sq = (self.active.sum_sq + self.idle.sum_sq) / n;
                (1_000.0 * mean_sq - mean * mean).max(0.0).sqrt() / 1_000.0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: i64 = 120_000_000_000;

    #[test]
    fn mean_and_std_dev_of_one_kind() {
        let mut gaps = Gaps::default();
        for t in [0, 1_000_000, 3_000_000, 6_000_000] {
            gaps.packet(t, GapKind::Active, LIMIT);
        }
        // Gaps of 1, 2 and 3 ms.
        assert!((gaps.mean_ms() - 2.0).abs() < 1e-12);
        assert!((gaps.jitter_ms() - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn zero_and_overlong_gaps_are_skipped() {
        let mut gaps = Gaps::default();
        for t in [0, 0, 5_000_000, 5_000_000 + LIMIT] {
            gaps.packet(t, GapKind::Idle, LIMIT);
        }
        assert!((gaps.mean_ms() - 5.0).abs() < 1e-12);
        assert_eq!(gaps.jitter_ms(), 0.0);
    }
}
