//! Packet timestamps: nanoseconds since the Unix epoch.

use std::fmt;

/// When a packet was captured, in nanoseconds since 1970-01-01T00:00:00Z.
///
/// An `i64` of nanoseconds spans the years 1677 to 2262, which holds every pcap timestamp
/// (32-bit seconds) and every sane pcapng one; pcapng timestamps outside it are skipped.
///
/// ```
/// use packet_flows::Timestamp;
///
/// let t = Timestamp::from_nanos(1_796_304_044_533_419_341);
/// assert_eq!(t.secs(), 1_796_304_044);
/// assert_eq!(t.subsec_nanos(), 533_419_341);
/// assert_eq!(t.to_string(), "1796304044.533419341");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The timestamp `nanos` nanoseconds after the epoch.
    pub const fn from_nanos(nanos: i64) -> Timestamp {
        Timestamp(nanos)
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (rounded towards negative infinity).
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000_000)
    }

    /// Seconds since the epoch as a float (to about a quarter of a microsecond today).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// The nanoseconds past [`Timestamp::secs`], in `0..1_000_000_000`.
    pub const fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(1_000_000_000) as u32
    }

    /// Builds a timestamp from whole seconds plus `fraction` units of `1 / units_per_sec`
    /// seconds, or `None` when it falls outside the `i64` range or `units_per_sec` is 0.
    pub(crate) fn from_parts(secs: i128, fraction: u128, units_per_sec: u128) -> Option<Timestamp> {
        if units_per_sec == 0 {
            return None;
        }
        // i128 holds secs * 1e9 for any 64-bit seconds value and fraction * 1e9 for any
        // 64-bit fraction, so nothing here can overflow before the final range check.
        let frac_nanos =
            i128::try_from(fraction.checked_mul(1_000_000_000)? / units_per_sec).ok()?;
        let nanos = secs.checked_mul(1_000_000_000)?.checked_add(frac_nanos)?;
        i64::try_from(nanos).ok().map(Timestamp)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs(), self.subsec_nanos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsecond_and_binary_fractions() {
        let t = Timestamp::from_parts(1_796_303_892, 228_194, 1_000_000).unwrap();
        assert_eq!(t.as_nanos(), 1_796_303_892_228_194_000);
        // if_tsresol = 0x80 | 10: units of 2^-10 s; 512 units = 0.5 s.
        let t = Timestamp::from_parts(7, 512, 1 << 10).unwrap();
        assert_eq!(t.as_nanos(), 7_500_000_000);
    }

    #[test]
    fn out_of_range_is_none() {
        assert_eq!(Timestamp::from_parts(i64::MAX as i128, 0, 1), None);
        assert_eq!(Timestamp::from_parts(0, 1, 0), None);
    }

    #[test]
    fn negative_times_print_with_a_positive_fraction() {
        let t = Timestamp::from_nanos(-1);
        assert_eq!((t.secs(), t.subsec_nanos()), (-1, 999_999_999));
        assert_eq!(t.to_string(), "-1.999999999");
    }
}
