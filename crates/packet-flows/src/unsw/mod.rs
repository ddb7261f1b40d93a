//! UNSW-NB15's flow features from flow records: the release's columns, the connection
//! counts over the last 100 records, and an [`Extractor`] that runs the whole way from
//! captured packets to rows.

mod counts;
mod extract;
mod row;
mod state_ttl;

pub use counts::{ConnectionCounts, CountingOrder, WINDOW};
pub use extract::{ExtractedFlow, Extractor};
pub use row::{COLUMN_KINDS, COLUMNS, Cell, CellKind, IDENTITY_COLUMNS, UnswRow};
pub use state_ttl::ct_state_ttl;
