//! Per-client rate limits on `/analyze` (`--analyze-rate`): a token bucket per client address
//! (IPv6 clients by their /64, which one host can rotate within), with 429 and `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::RwLock;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Clients tracked before buckets back at full capacity are forgotten; if a flood of
/// addresses keeps more than this many busy, every bucket is dropped (the limits reset rather
/// than memory growing without bound, or each check scanning a huge map).
const MAX_TRACKED: usize = 65_536;

/// The buckets of every client seen recently.
#[derive(Debug)]
pub struct ClientLimits {
    quota: Quota,
    limiter: RwLock<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl ClientLimits {
    /// `per_minute` requests per client and minute, with bursts of up to `burst`.
    pub fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> Self {
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Self {
            quota,
            limiter: RwLock::new(DefaultKeyedRateLimiter::keyed(quota)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from `client`'s bucket, or says in how many whole seconds it may
    /// send again.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let tracked = self.read().len();
        if tracked > MAX_TRACKED {
            let mut limiter = self.limiter.write().unwrap_or_else(|p| p.into_inner());
            limiter.retain_recent();
            if limiter.len() > MAX_TRACKED {
                *limiter = DefaultKeyedRateLimiter::keyed(self.quota);
            }
        }
        self.read().check_key(&key(client)).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            (wait.as_secs_f64().ceil() as u64).max(1)
        })
    }

    /// Clients tracked now.
    pub fn tracked(&self) -> usize {
        self.read().len()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, DefaultKeyedRateLimiter<IpAddr>> {
        // A panic cannot leave the limiter half-updated: its state is atomic per key.
        self.limiter.read().unwrap_or_else(|p| p.into_inner())
    }
}

/// The bucket a client address draws from.
fn key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_burst_waits_and_others_do_not() {
        let nz = |n| NonZeroU32::new(n).unwrap();
        let limits = ClientLimits::new(nz(1), nz(2));
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert!(limits.check(a).is_ok() && limits.check(a).is_ok());
        let wait = limits.check(a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limits.check(b).is_ok());
        // One host's /64 is one client.
        let v6 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(key(v6("2001:db8::1")), key(v6("2001:db8::ffff:1")));
        assert_ne!(key(v6("2001:db8::1")), key(v6("2001:db8:0:1::1")));
        assert_eq!(key(v6("::ffff:192.0.2.1")), a);
    }

    #[test]
    fn a_flood_of_addresses_cannot_grow_the_map_without_bound() {
        let nz = |n| NonZeroU32::new(n).unwrap();
        let limits = ClientLimits::new(nz(1), nz(1));
        for i in 0..(MAX_TRACKED as u32 + 10) {
            let _ = limits.check(IpAddr::V4(i.into()));
        }
        assert!(limits.tracked() <= MAX_TRACKED + 1, "{}", limits.tracked());
    }
}
