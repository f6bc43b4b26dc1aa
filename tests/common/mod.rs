#![allow(dead_code)]
use sigap::cli::boundaries::{import_path, shipped_layers};
use sigap::store::Store;
use sigap::wilayah::import::ImportOptions;
use sigap::wilayah::{Atlas, AtlasConfig, Level};
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shared(rel: &str) -> PathBuf {
    root().join("..").join("shared").join(rel)
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

/// The OSM test points: not strict JSON (bare NaN names), so NaN is replaced before parsing.
pub fn test_points() -> Vec<(f64, f64)> {
    let path = shared("data/raw/osm-poi-jakarta-testpoints/poi_jakarta.json");
    let text = std::fs::read_to_string(&path).expect("read test points").replace(": NaN", ": null");
    let v: Vec<serde_json::Value> = serde_json::from_str(&text).expect("parse test points");
    v.iter().map(|p| (p["lon"].as_f64().unwrap(), p["lat"].as_f64().unwrap())).collect()
}
