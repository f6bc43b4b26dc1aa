//! `locate` in the in-memory atlas vs PostGIS `ST_Covers` (GiST index) for the same 26,092 OSM
//! points, measured in the same run. Needs SIGAP_TEST_PG (scripts/bench.sh starts PostGIS).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sigap::cli::boundaries::{import_path, shipped_layers};
use sigap::store::{testing, Store};
use sigap::wilayah::import::ImportOptions;
use sigap::wilayah::{Atlas, AtlasConfig, Level};
use std::time::Duration;

fn points() -> Vec<(f64, f64)> {
    sigap::store::testing::osm_test_points().expect("data/testdata OSM test points")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let store = rt.block_on(async {
        let store = testing::postgis().await;
        for (level, path, generated) in shipped_layers(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))) {
            if level > Level::Kelurahan {
                break;
            }
            import_path(&store, &path, &ImportOptions { generated, ..ImportOptions::new(level) }, "bench").await.expect("import");
        }
        store
    });
    let atlas: Atlas = rt.block_on(sigap::cli::load_atlas(&store, AtlasConfig::default())).expect("atlas");
    let pts = points();
    let lons: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let lats: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let Store::Postgis(pool) = &store else { unreachable!() };

    let mut g = c.benchmark_group("locate_26k");
    g.throughput(Throughput::Elements(pts.len() as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("atlas", |b| {
        b.iter(|| pts.iter().filter(|(lon, lat)| atlas.locate(*lon, *lat).is_ok_and(|l| l.kelurahan.is_some())).count())
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
    sigap_bench_ratio::print("locate_26k", "postgis_st_covers", "atlas");
}

mod sigap_bench_ratio {
    /// Reads criterion's estimates of two functions of a group and prints how many times faster
    /// the second is than the first (the peer).
    pub fn print(group: &str, peer: &str, ours: &str) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion").join(group);
        let mean = |f: &str| -> Option<f64> {
            let text = std::fs::read_to_string(dir.join(f).join("new/estimates.json")).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            v["mean"]["point_estimate"].as_f64()
        };
        match (mean(peer), mean(ours)) {
            (Some(p), Some(o)) => println!("RATIO {group}: {ours} is {:.1}x faster than {peer} ({:.1} ms vs {:.1} ms)", p / o, o / 1e6, p / 1e6),
            _ => println!("RATIO {group}: estimates not found in {}", dir.display()),
        }
    }
}

criterion_group!(benches, bench, ratio);
criterion_main!(benches);
