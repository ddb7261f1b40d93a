//! One module per subcommand.

pub mod baseline;
pub mod evaluate;
pub mod explain_eval;
pub mod extract;
pub mod score;
pub mod train;
pub mod watch;
