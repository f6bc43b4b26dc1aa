#![allow(dead_code)]
pub mod recipients;
use sigap::cli::boundaries::{import_path, shipped_layers};
use sigap::store::Store;
use sigap::wilayah::import::ImportOptions;
use sigap::wilayah::{Atlas, AtlasConfig, Level};
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads the shipped layers up to `upto` (inclusive) through the real importer.
pub async fn load_shipped(store: &Store, upto: Level) {
    for (level, path, generated) in shipped_layers(&root().join("data")) {
        if level > upto {
            break;
        }
        let opts = ImportOptions { generated, ..ImportOptions::new(level) };
        import_path(store, &path, &opts, "test").await.unwrap_or_else(|e| panic!("import {level}: {e}"));
    }
}

pub async fn atlas(store: &Store) -> Atlas {
    sigap::cli::load_atlas(store, AtlasConfig::default()).await.expect("load atlas")
}

pub fn test_points() -> Vec<(f64, f64)> {
    sigap::store::testing::osm_test_points().expect("read data/testdata OSM test points")
}

/// `sigap serve` over `url` on a free port of 127.0.0.1, logging at info without colour to a piped
/// stderr, where it announces the address it bound ("sigap listening on http://…").
pub fn spawn_serve(url: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_sigap"))
        .args(["--database-url", url, "serve", "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start sigap serve")
}
