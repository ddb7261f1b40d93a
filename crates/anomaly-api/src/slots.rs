//! A fixed number of slots for heavy jobs: taking one never blocks, and a full set refuses at
//! once (the handler answers 503 with `Retry-After`). `/predict/batch` and `/analyze` each have
//! their own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Up to `capacity` jobs at once.
#[derive(Debug)]
pub struct Slots {
    taken: AtomicUsize,
    capacity: usize,
}

/// A taken slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot(Arc<Slots>);

impl Slots {
    /// `capacity` slots (at least one).
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            taken: AtomicUsize::new(0),
            capacity: capacity.max(1),
        })
    }

    /// A free slot, or `None` when all are taken.
    pub fn try_take(self: &Arc<Self>) -> Option<Slot> {
        self.taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                (taken < self.capacity).then_some(taken + 1)
            })
            .ok()
            .map(|_| Slot(Arc::clone(self)))
    }

    /// Slots taken now.
    pub fn taken(&self) -> usize {
        self.taken.load(Ordering::Acquire)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.taken.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::Slots;

    #[test]
    fn a_full_set_refuses_and_a_dropped_slot_frees_one() {
        let slots = Slots::new(2);
        let (a, b) = (slots.try_take().unwrap(), slots.try_take().unwrap());
        assert!(slots.try_take().is_none());
        drop(a);
        let c = slots.try_take().expect("a slot was freed");
        assert_eq!(slots.taken(), 2);
        drop((b, c));
        assert_eq!(slots.taken(), 0);
    }
}
