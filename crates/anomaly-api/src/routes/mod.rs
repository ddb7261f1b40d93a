//! HTTP routes; each module exposes `configure`.

pub mod analyze;
pub mod docs;
pub mod health;
pub mod metrics;
pub mod predict;
mod responses;
