//! One module per subcommand.

pub mod baseline;
pub mod evaluate;
pub mod grounding;
pub mod score;
pub mod train;
