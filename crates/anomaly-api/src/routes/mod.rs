//! HTTP routes; each module exposes `configure`.

pub mod analyze;
mod body;
pub mod capture;
pub mod docs;
pub mod health;
pub mod metrics;
pub mod predict;
mod responses;
