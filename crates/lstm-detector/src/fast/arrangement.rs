//! How the flows of one call to the fast forward make its windows.

/// How a call's flows (encoded, concatenated row-major) make windows of `steps` flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrangement {
    /// Windows stored one after another: `batch · steps` flows.
    Separate,
    /// One run of flows whose every `steps` consecutive flows make a window, as a stream's
    /// sliding windows do: `batch + steps − 1` flows. Each flow goes through the first layer's
    /// input weights once instead of once per window it is in.
    Sliding,
}

impl Arrangement {
    /// Windows made of `flows` flows (none when too few for one).
    pub(crate) fn windows(self, flows: usize, steps: usize) -> usize {
        match self {
            Self::Separate => flows.checked_div(steps).unwrap_or(0),
            Self::Sliding => (flows + 1).saturating_sub(steps.max(1)),
        }
    }

    /// Flows that `windows` consecutive windows are made of.
    pub(crate) fn flows(self, windows: usize, steps: usize) -> usize {
        match self {
            Self::Separate => windows * steps,
            Self::Sliding if windows == 0 => 0,
            Self::Sliding => windows + steps - 1,
        }
    }

    /// The first flow of window `window`.
    pub(crate) fn first_flow(self, window: usize, steps: usize) -> usize {
        match self {
            Self::Separate => window * steps,
            Self::Sliding => window,
        }
    }

    /// Rows of the first layer's projection between a window's consecutive steps, for
    /// `batch` windows: `Separate` flows are projected step by step (row `t · batch + b`) so
    /// that a block of windows' rows at one step are consecutive; `Sliding` flows in their
    /// order, where window `b`'s step `t` is flow `b + t`.
    pub(crate) fn step_stride(self, batch: usize) -> usize {
        match self {
            Self::Separate => batch,
            Self::Sliding => 1,
        }
    }

    /// The flow projected into row `row` of the first layer's projection (see
    /// [`step_stride`](Self::step_stride)).
    pub(crate) fn projected_flow(self, row: usize, batch: usize, steps: usize) -> usize {
        match self {
            Self::Separate => (row % batch) * steps + row / batch,
            Self::Sliding => row,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Arrangement::{Separate, Sliding};

    #[test]
    fn both_arrangements_count_and_place_the_same_windows() {
        assert_eq!((Separate.windows(30, 10), Sliding.windows(30, 10)), (3, 21));
        assert_eq!((Separate.windows(9, 10), Sliding.windows(9, 10)), (0, 0));
        assert_eq!((Separate.flows(3, 10), Sliding.flows(21, 10)), (30, 30));
        assert_eq!(Sliding.flows(0, 10), 0);
        // Window 2's step 3: flow 23 stored apart, flow 5 of the run.
        let (batch, steps) = (3, 10);
        let row = |a: super::Arrangement| 3 * a.step_stride(batch) + 2;
        assert_eq!(Separate.projected_flow(row(Separate), batch, steps), 23);
        assert_eq!(Sliding.projected_flow(row(Sliding), batch, steps), 5);
        assert_eq!(
            (Separate.first_flow(2, 10), Sliding.first_flow(2, 10)),
            (20, 2)
        );
    }
}
