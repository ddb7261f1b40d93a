//! Flush-to-zero for denormal floats, scoped to a guard.

/// Flushes denormal floats to zero on this thread while alive. Saturated LSTM gates produce
/// values below f32's normal range, and arithmetic on them is up to a hundred times slower;
/// zero instead changes results by less than 1e-37. The previous mode is restored on drop.
pub(crate) struct FlushDenormals {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
    /// MXCSR is per thread: the guard must be dropped on the thread that made it (not `Send`).
    _this_thread: std::marker::PhantomData<*const ()>,
}

impl FlushDenormals {
    #[allow(deprecated)] // _mm_getcsr/_mm_setcsr: no replacement in std yet
    pub(crate) fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
            // SAFETY: reads this thread's MXCSR and sets its FTZ (bit 15) and DAZ (bit 6).
            let saved = unsafe { _mm_getcsr() };
            unsafe { _mm_setcsr(saved | 0x8040) };
            Self {
                saved,
                _this_thread: std::marker::PhantomData,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Self {
            _this_thread: std::marker::PhantomData,
        }
    }
}

impl Drop for FlushDenormals {
    #[allow(deprecated)]
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: restores the MXCSR value read in `new`, on the same thread (the guard is not
        // `Send`).
        unsafe {
            std::arch::x86_64::_mm_setcsr(self.saved)
        };
    }
}
