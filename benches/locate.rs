//! `locate` in the in-memory atlas vs PostGIS `ST_Covers` (GiST index) for the same 26,092 OSM
//! points, measured in the same run. Needs SIGAP_TEST_PG (scripts/bench.sh starts PostGIS).
// Benchmarks print their results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sigap::wilayah::{Atlas, AtlasConfig, Level};
use std::time::Duration;

fn points() -> Vec<(f64, f64)> {
    sigap::store::testing::osm_test_points().expect("data/testdata OSM test points")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let store = rt.block_on(common::shipped_postgis(Level::Kelurahan));
    let atlas: Atlas = rt.block_on(sigap::cli::load_atlas(&store, AtlasConfig::default())).expect("atlas");
    let pts = points();
    let lons: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let lats: Vec<f64> = pts.iter().map(|p| p.1).collect();

    let mut g = c.benchmark_group("locate_26k");
    g.throughput(Throughput::Elements(pts.len() as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("atlas", |b| {
        b.iter(|| pts.iter().filter(|(lon, lat)| atlas.locate(*lon, *lat).is_ok_and(|l| l.kelurahan.is_some())).count())
    });
    g.bench_function("postgis_st_covers", |b| {
        b.iter(|| {
rt.block_on(common::st_covers_count(&store, &lons, &lats))
        })
    });
    g.finish();
}

fn ratio(_: &mut Criterion) {
    common::print_ratio("locate_26k", "postgis_st_covers", "atlas", |_| String::new());
}

criterion_group!(benches, bench, ratio);
criterion_main!(benches);
