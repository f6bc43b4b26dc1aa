//! What the benchmarks share: a PostGIS peer loaded with the shipped layers, the PostGIS
//! `ST_Covers` query the point benchmarks compare against, and the `RATIO` line read back from
//! criterion's estimates so both sides of a comparison come from the same run.

use sigap::cli::boundaries::{import_path, shipped_layers};
use sigap::store::{testing, Store};
use sigap::wilayah::import::ImportOptions;
use sigap::wilayah::Level;

/// A fresh PostGIS database (SIGAP_TEST_PG, started by scripts/bench.sh) with the shipped layers
/// up to `upto`, imported through the real importer.
pub async fn shipped_postgis(upto: Level) -> Store {
    let store = testing::postgis().await;
    load_shipped(&store, upto).await;
    store
}

/// Imports the shipped layers up to `upto` into `store` through the real importer.
#[allow(dead_code)] // not every bench loads a GeoPackage too
pub async fn load_shipped(store: &Store, upto: Level) {
    for (level, path, generated) in shipped_layers(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))) {
        if level > upto {
            break;
        }
        import_path(store, &path, &ImportOptions { generated, ..ImportOptions::new(level) }, "bench").await.expect("import");
    }
}

/// How many of the points PostGIS puts in some kelurahan, in one `unnest` query (GiST index),
/// so the peer pays no per-point round trip.
#[allow(dead_code)] // not every bench compares points
pub async fn st_covers_count(store: &Store, lons: &[f64], lats: &[f64]) -> i64 {
    let Store::Postgis(pool) = store else { panic!("the peer is PostGIS") };
    sqlx::query_scalar::<_, i64>(
        "SELECT count(k.kode) FROM unnest($1::float8[], $2::float8[]) AS p(lon, lat)
         LEFT JOIN kelurahan k ON ST_Covers(k.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))",
    )
    .bind(lons)
    .bind(lats)
    .fetch_one(pool)
    .await
    .expect("ST_Covers query")
}

/// Mean time (ns) of one function of a group from criterion's estimates of this run.
pub fn mean_ns(group: &str, function: &str) -> Option<f64> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion").join(group).join(function).join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file).ok()?).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

/// Prints `RATIO <group>: <ours> is N.Nx faster than <peer> (…)`, the line scripts/bench.sh
/// collects; `extra` is appended inside the parentheses.
pub fn print_ratio(group: &str, peer: &str, ours: &str, extra: impl Fn(f64) -> String) {
    match (mean_ns(group, peer), mean_ns(group, ours)) {
        (Some(p), Some(o)) => println!("RATIO {group}: {ours} is {:.1}x faster than {peer} ({:.1} ms vs {:.1} ms{})", p / o, o / 1e6, p / 1e6, extra(o)),
        _ => println!("RATIO {group}: estimates of {peer} and {ours} not found under target/criterion/{group}"),
    }
}
