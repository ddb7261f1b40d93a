//! HTTP routes; each module exposes `configure`.

pub mod health;
pub mod predict;
