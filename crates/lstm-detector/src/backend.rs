//! Which Burn CPU backend runs the network.

use burn::tensor::Device;

/// A Burn CPU backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Backend {
    /// Burn's pure-Rust CPU backend, its default since 0.22.
    #[default]
    Flex,
    /// Burn's deprecated NdArray backend (cargo feature `ndarray`), kept for comparison.
    #[cfg(feature = "ndarray")]
    NdArray,
}

impl Backend {
    /// The Burn device of this backend.
    pub fn device(self) -> Device {
        match self {
            Backend::Flex => Device::flex(),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)] // offered for comparison only
            Backend::NdArray => Device::ndarray(),
        }
    }
}
