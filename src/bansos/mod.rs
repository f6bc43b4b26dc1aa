//! Bansos (social assistance) distribution: targets per RW, deliveries of packages to RW drop
//! points, hand-outs to households, and progress rolled up to the province.
//!
//! `model` and `rollup` are plain values and rules (no HTTP, no SQL); `store` and `http` are thin
//! adapters around them.

pub mod model;
pub mod rollup;
pub mod trend;
pub mod export;
pub mod http;
pub mod ops;
pub mod store;
pub mod cli;
pub mod demo;

use crate::store::Store;
use crate::wilayah::Atlas;

/// Loads the shipped (generated) demo targets and history into a store with no bansos data yet;
/// a second run, or a store holding real data, is left unchanged. Used by `sigap init`, which
/// shows `progress(done, total)` as a bar and prints the returned counts (display stays in the CLI).
pub async fn load_demo(store: &Store, atlas: &Atlas, progress: &(dyn Fn(usize, usize) + Sync)) -> anyhow::Result<demo::Loaded> {
    let demo = demo::from_csv(demo::DEMO_TARGETS, demo::DEMO_DELIVERIES, demo::DEMO_HANDOUTS, atlas)?;
    demo::load(store, &demo, progress).await
}
