//! Routing the 26,092 OSM test points end to end in memory (geotag → routing decision → the
//! JSON stored with the complaint), against PostGIS `ST_Covers` finding just the kelurahan of
//! the same points, in the same run. Needs SIGAP_TEST_PG (scripts/bench.sh starts PostGIS).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sigap::cli::boundaries::{import_path, shipped_layers};
use sigap::complaints::model::{parse_units_csv, Channel, Units, SHIPPED_UNITS_CSV};
use sigap::complaints::routing::{route, Geotag};
use sigap::store::{testing, Store};
use sigap::wilayah::import::ImportOptions;
use sigap::wilayah::{Atlas, AtlasConfig};
use std::time::Duration;

fn points() -> Vec<(f64, f64)> {
    sigap::store::testing::osm_test_points().expect("data/testdata OSM test points")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let store = rt.block_on(async {
        let store = testing::postgis().await;
        for (level, path, generated) in shipped_layers(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))) {
            import_path(&store, &path, &ImportOptions { generated, ..ImportOptions::new(level) }, "bench").await.expect("import");
        }
        store
    });
    let atlas: Atlas = rt.block_on(sigap::cli::load_atlas(&store, AtlasConfig::default())).expect("atlas");
    let units = Units { seeded: parse_units_csv(SHIPPED_UNITS_CSV).expect("units") };
    let pts = points();
    let lons: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let lats: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let Store::Postgis(pool) = &store else { unreachable!() };

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
            rt.block_on(
                sqlx::query_scalar::<_, i64>(
                    "SELECT count(k.kode) FROM unnest($1::float8[], $2::float8[]) AS p(lon, lat)
                     LEFT JOIN kelurahan k ON ST_Covers(k.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))",
                )
                .bind(&lons)
                .bind(&lats)
                .fetch_one(pool),
            )
            .expect("query")
        })
    });
    g.finish();
}

fn ratio(_: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion/complaints_route_26k");
    let mean = |f: &str| -> Option<f64> {
        let text = std::fs::read_to_string(dir.join(f).join("new/estimates.json")).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v["mean"]["point_estimate"].as_f64()
    };
    match (mean("postgis_st_covers"), mean("route_in_memory")) {
        (Some(p), Some(o)) => println!(
            "RATIO complaints_route_26k: route_in_memory is {:.1}x faster than postgis_st_covers ({:.1} ms vs {:.1} ms; {:.0} points/s)",
            p / o, o / 1e6, p / 1e6, points().len() as f64 / (o / 1e9)
        ),
        _ => println!("RATIO complaints_route_26k: estimates not found in {}", dir.display()),
    }
}

criterion_group!(benches, bench, ratio);
criterion_main!(benches);
