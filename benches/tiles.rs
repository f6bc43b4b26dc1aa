//! Cold tile generation (no tile cache) from the in-memory atlas vs PostGIS `ST_AsMVT` (the
//! functions of tiles/martin.sql, i.e. what martin serves) on the same data, same run: a sample
//! of z10–z16 tiles over Jakarta, all four layers. Needs SIGAP_TEST_PG (scripts/bench.sh).
// Benchmarks print their results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sigap::store::Store;
use sigap::tiles::tile::to_world;
use sigap::tiles::{TileId, TileIndex};
use sigap::wilayah::{AtlasConfig, Level};
use std::time::Duration;

/// Monas, Ragunan, Tanjung Priok, Kembangan, Cakung, Kelapa Gading.
const PLACES: [(f64, f64); 6] =
    [(106.8272, -6.1754), (106.8206, -6.3125), (106.8830, -6.1030), (106.7400, -6.1900), (106.9300, -6.1900), (106.9050, -6.1600)];

fn sample() -> Vec<(Level, TileId)> {
    let mut v = Vec::new();
    for z in 10u8..=16 {
        let n = (1u64 << z) as f64;
        for (lon, lat) in PLACES {
            let (x, y) = to_world(lon, lat);
            let t = TileId { z, x: (x * n) as u32, y: (y * n) as u32 };
            v.extend(Level::ALL.iter().map(|l| (*l, t)));
        }
    }
    v.sort();
    v.dedup();
    v
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let store = rt.block_on(async {
        let store = common::shipped_postgis(Level::Rw).await;
        let Store::Postgis(pool) = &store else { unreachable!() };
        let sql = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tiles/martin.sql")).expect("martin.sql");
        sqlx::raw_sql(&sql).execute(pool).await.expect("apply martin.sql");
        store
    });
    let atlas = rt.block_on(sigap::cli::load_atlas(&store, AtlasConfig::default())).expect("atlas");
    let index = TileIndex::new(&atlas);
    let tiles = sample();
    let layers: Vec<String> = tiles.iter().map(|(l, _)| l.as_str().to_string()).collect();
    let zs: Vec<i32> = tiles.iter().map(|(_, t)| t.z as i32).collect();
    let xs: Vec<i32> = tiles.iter().map(|(_, t)| t.x as i32).collect();
    let ys: Vec<i32> = tiles.iter().map(|(_, t)| t.y as i32).collect();
    let Store::Postgis(pool) = &store else { unreachable!() };

    let ours = || tiles.iter().map(|(l, t)| index.render(*l, *t).map_or(0, |b| b.len() as i64)).sum::<i64>();
    let theirs = || {
        rt.block_on(
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT sum(length(sigap_tile(l, z, x, y)))::int8 FROM unnest($1::text[], $2::int[], $3::int[], $4::int[]) AS t(l, z, x, y)",
            )
            .bind(&layers)
            .bind(&zs)
            .bind(&xs)
            .bind(&ys)
            .fetch_one(pool),
        )
        .expect("query")
        .unwrap_or(0)
    };
    println!("tile sample: {} tiles (z10–z16, 4 layers); bytes: sigap {} vs ST_AsMVT {}", tiles.len(), ours(), theirs());

    let mut g = c.benchmark_group("tiles_z10_16");
    g.throughput(Throughput::Elements(tiles.len() as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("atlas_mvt", |b| b.iter(ours));
    g.bench_function("postgis_st_asmvt", |b| b.iter(theirs));
    g.finish();
}

fn ratio(_: &mut Criterion) {
    common::print_ratio("tiles_z10_16", "postgis_st_asmvt", "atlas_mvt", |_| String::new());
}

criterion_group!(benches, bench, ratio);
criterion_main!(benches);
