//! Inter-packet times and jitter, as Argus keeps them.
//!
//! Argus sorts each direction's gaps between consecutive packets into "active" ones (ended by
//! a packet "in protocol") and "idle" ones, skipping zero gaps and gaps of two status
//! intervals or more, and keeps the count, sum and sum of squares of each kind in
//! microseconds. `ra` prints the mean gap in milliseconds and the jitter as a standard
//! deviation, with a unit slip when both kinds are present that UNSW-NB15 carries. The
//! arithmetic here is Argus 3.0.8's (a single-precision sum of gaps, an integer mean square,
//! as in `ArgusModeler.c`, and `ra`'s combination in `argus_util.c`), so the values are
//! Argus's to the printed digit, its NaN for some near-equal long gaps included.

/// Count, sum and sum of squares of some gaps in microseconds, kept as Argus keeps them: the
/// sum in single precision (so it rounds as Argus's does), the squares as a 64-bit integer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Moments {
    n: u32,
    sum: f32,
    sum_sq: i64,
}

impl Moments {
    fn add(&mut self, micros: u64) {
        self.n = self.n.saturating_add(1);
        self.sum += micros as f32;
        let square = micros as f64 * micros as f64;
        self.sum_sq = (self.sum_sq as f64 + square) as i64;
    }

    /// The mean as Argus's record holds it (`meanval`, single precision).
    fn mean(&self) -> f32 {
        self.sum / self.n as f32
    }

    /// The standard deviation as Argus 3.0.8's record holds it (`stdev`): the mean square
    /// by integer division, less the square of the single-precision mean, so that near-equal
    /// gaps can come out a little off, or below zero and NaN, as in Argus.
    fn std_dev(&self) -> f32 {
        let n = self.n;
        let mean_sq = (self.sum_sq / i64::from(n)) as f64;
        let mean = f64::from(self.sum / n as f32);
        (mean_sq - mean * mean).sqrt() as f32
    }
}

/// Which kind a gap is, decided by the packet that ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GapKind {
    /// The packet is "in protocol" (for TCP: data sent while earlier data is in flight).
    Active,
    /// Anything else (a pure acknowledgment, a retransmission, a zero window, the first
    /// data after everything was acknowledged).
    Idle,
}

/// One direction's gaps.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Gaps {
    active: Moments,
    idle: Moments,
    last_micros: Option<i64>,
}

impl Gaps {
    /// Records a packet at `nanos`; `limit_nanos` is the longest gap counted (two status
    /// intervals). Times are taken to the microsecond, as Argus takes them.
    pub(crate) fn packet(&mut self, nanos: i64, kind: GapKind, limit_nanos: i64) {
        let micros = nanos.div_euclid(1_000);
        match self.last_micros {
            // A packet at the same microsecond as the last is no gap and moves nothing.
            Some(last) if micros <= last => {}
            Some(last) => {
                let gap = micros - last;
                if gap < limit_nanos / 1_000 {
                    match kind {
                        GapKind::Active => self.active.add(gap as u64),
                        GapKind::Idle => self.idle.add(gap as u64),
                    }
                }
                self.last_micros = Some(micros);
            }
            None => self.last_micros = Some(micros),
        }
    }

    /// Starts a new record: the counts restart, the last packet's time is kept so the first
    /// gap of the next record is measured from it.
    pub(crate) fn restart(&mut self) {
        *self = Gaps {
            last_micros: self.last_micros,
            ..Gaps::default()
        };
    }

    /// The mean gap in milliseconds (`sintpkt`), as `ra` computes it from the record's
    /// single-precision means.
    pub(crate) fn mean_ms(&self) -> f64 {
        let n = self.active.n + self.idle.n;
        if n == 0 {
            return 0.0;
        }
        let mut weighted = 0.0f32;
        for kind in [&self.active, &self.idle] {
            if kind.n > 0 {
                weighted += kind.mean() * kind.n as f32;
            }
        }
        f64::from(weighted / n as f32) / 1000.0
    }

    /// The jitter in milliseconds (`sjit`), as `ra` prints it: with one kind of gap its
    /// standard deviation; with both, `√(1000 · mean(x²) − mean(x)²) / 1000` over all gaps
    /// in microseconds (a unit slip, ÷1000 where ÷10⁶ was meant, that UNSW-NB15 carries). NaN
    /// where Argus's single-precision arithmetic gives NaN (`ra` prints `-nan`).
    /// `source` selects the source side's rounding, which differs in Argus for idle gaps.
    pub(crate) fn jitter_ms(&self) -> f64 {
        let (active, idle) = (&self.active, &self.idle);
        match (active.n, idle.n) {
            (0, 0) => 0.0,
            (_, 0) => f64::from(active.std_dev()) / 1000.0,
            (0, _) => f64::from(idle.std_dev()) / 1000.0,
            (a, i) => {
                let n = a + i;
                let mean = (active.mean() * a as f32 + idle.mean() * i as f32) / n as f32;
                let sum_sq = |m: &Moments| {
                    let sd = f64::from(m.std_dev());
                    let total = f64::from(m.mean() * m.n as f32);
                    f64::from(m.n) * sd * sd + total * total / f64::from(m.n)
                };
                let sum_sq = (sum_sq(active) + sum_sq(idle)) / 1000.0;
                let mean = (f64::from(mean) / 1000.0) as f32;
                (sum_sq / f64::from(n) - f64::from(mean) * f64::from(mean)).sqrt()
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
        assert!((gaps.mean_ms() - 2.0).abs() < 1e-9);
        assert!((gaps.jitter_ms() - (2.0f64 / 3.0).sqrt()).abs() < 1e-6);
    }

    #[test]
    fn zero_and_overlong_gaps_are_skipped() {
        let mut gaps = Gaps::default();
        for t in [0, 0, 5_000_000, 5_000_000 + LIMIT] {
            gaps.packet(t, GapKind::Idle, LIMIT);
        }
        assert!((gaps.mean_ms() - 5.0).abs() < 1e-9);
        assert_eq!(gaps.jitter_ms(), 0.0);
    }
}
