//! HTTP routes; each module exposes `configure`.

pub mod analyze;
pub mod health;
pub mod predict;
