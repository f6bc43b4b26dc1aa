//! Routing the 26,092 OSM test points end to end in memory (geotag → routing decision → the
//! JSON stored with the complaint), against PostGIS `ST_Covers` finding just the kelurahan of
//! the same points, in the same run. Needs SIGAP_TEST_PG (scripts/bench.sh starts PostGIS).
// Benchmarks print their results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sigap::complaints::model::{parse_units_csv, Channel, Units, SHIPPED_UNITS_CSV};
use sigap::complaints::routing::{route, Geotag};
use sigap::wilayah::{Atlas, AtlasConfig, Level};
use std::time::Duration;

fn points() -> Vec<(f64, f64)> {
    sigap::store::testing::osm_test_points().expect("data/testdata OSM test points")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let store = rt.block_on(common::shipped_postgis(Level::Rw));
    let atlas: Atlas = rt.block_on(sigap::cli::load_atlas(&store, AtlasConfig::default())).expect("atlas");
    let units = Units { seeded: parse_units_csv(SHIPPED_UNITS_CSV).expect("units") };
    let pts = points();
    let lons: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let lats: Vec<f64> = pts.iter().map(|p| p.1).collect();

    // Reasons once, for the README.
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for (lon, lat) in &pts {
        let k = match route(&atlas, &units, Channel::Import, Some(Geotag { lon: *lon, lat: *lat, accuracy_m: None })) {
            Ok(r) => r.reason.as_str().to_string(),
            Err(e) => format!("ditolak ({})", e.field()),
        };
        *reasons.entry(k).or_default() += 1;
    }
    println!("REASONS {} points: {reasons:?}", pts.len());

    let mut g = c.benchmark_group("complaints_route_26k");
    g.throughput(Throughput::Elements(pts.len() as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("route_in_memory", |b| {
        b.iter(|| {
            pts.iter()
                .filter_map(|(lon, lat)| route(&atlas, &units, Channel::Import, Some(Geotag { lon: *lon, lat: *lat, accuracy_m: None })).ok())
                .map(|r| serde_json::to_string(&r).map(|s| s.len()).unwrap_or(0))
                .sum::<usize>()
        })
    });
    g.bench_function("postgis_st_covers", |b| {
        b.iter(|| {
rt.block_on(common::st_covers_count(&store, &lons, &lats))
        })
    });
    g.finish();
}

fn ratio(_: &mut Criterion) {
    let n = points().len() as f64;
    common::print_ratio("complaints_route_26k", "postgis_st_covers", "route_in_memory", |o| format!("; {:.0} points/s", n / (o / 1e9)));
}

criterion_group!(benches, bench, ratio);
criterion_main!(benches);
