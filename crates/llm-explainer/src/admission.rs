//! Bounded admission: at most `pool + queue` requests in flight, the rest refused at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Counts requests running or waiting, and refuses those beyond capacity.
#[derive(Debug)]
pub(crate) struct Admission {
    in_flight: AtomicUsize,
    pool: usize,
    queue: usize,
}

/// How busy an explainer is: requests admitted now, against its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Load {
    /// Requests running or waiting.
    pub in_flight: usize,
    /// Requests that run at once.
    pub pool: usize,
    /// Requests that may wait; beyond `pool + queue`, [`Error::Busy`].
    pub queue: usize,
}

impl Load {
    /// Requests waiting for a free context.
    pub fn waiting(&self) -> usize {
        self.in_flight.saturating_sub(self.pool)
    }
}

/// One admitted request; releases its place when dropped (finished, failed or cancelled).
#[derive(Debug)]
pub(crate) struct Permit(Arc<Admission>);

impl Admission {
    pub(crate) fn new(pool: usize, queue: usize) -> Arc<Self> {
        Arc::new(Self {
            in_flight: AtomicUsize::new(0),
            pool,
            queue,
        })
    }

    pub(crate) fn try_admit(self: &Arc<Self>) -> Result<Permit> {
        let capacity = self.pool + self.queue;
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < capacity).then_some(n + 1)
            })
            .map(|_| Permit(Arc::clone(self)))
            .map_err(|in_flight| Error::Busy {
                in_flight,
                pool: self.pool,
                queue: self.queue,
            })
    }

    /// Requests running or waiting now, and the limits.
    pub(crate) fn load(&self) -> Load {
        Load {
            in_flight: self.in_flight.load(Ordering::Acquire),
            pool: self.pool,
            queue: self.queue,
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_pool_plus_queue_refuses_the_next_and_frees_a_place_on_drop() {
        let admission = Admission::new(1, 2);
        let permits: Vec<_> = (0..3).map(|_| admission.try_admit().unwrap()).collect();
        assert_eq!(admission.load().waiting(), 2);
        // Refused without waiting: nothing in `try_admit` blocks.
        assert!(matches!(
            admission.try_admit(),
            Err(Error::Busy {
                in_flight: 3,
                pool: 1,
                queue: 2
            })
        ));
        drop(permits);
        assert_eq!(admission.load().in_flight, 0);
        let _again = admission.try_admit().unwrap();
        assert_eq!(admission.load().in_flight, 1);
    }
}
