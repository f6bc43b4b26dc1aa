//! KSBB map and roll-up at city scale (issue 13, performance): 50 000 UMKM at 1 500 generated
//! sites, 200 goods Konfirmasi at two sites each with a BAST for 10 UMKM, on both stores.
//! Measures, per store: the public roll-up `GET /api/v1/ksbb/rekap?tingkat=kelurahan` answered
//! from the cache; the same after a write (the recomputation: five grouped queries + the pure
//! roll-up); a site tile at z14 cold (the densest lokbin tile, its cached copy dropped before each
//! request), with PostGIS `sigap_tile_lokbin` (tiles/martin.sql, what martin serves) as the peer.
//! Targets: cached < 5 ms, after a write < 200 ms, tile < 5 ms. Needs SIGAP_TEST_PG (scripts/bench.sh);
//! `SIGAP_KSBB_STORES=gpkg` (or `postgis`) measures one store (loading PostGIS takes minutes).
//!
//! The sites are generated (`generated: true`): no licensed Jakarta lokbin/loksem dataset exists
//! here. They stand at vertices of secondary, tertiary and residential streets of the OSM 2012
//! road network (data/roads, ODbL) — where street-vendor sites are, never in a river or at sea —
//! and each passes the same place check as a Citata edit (inside the province outline).
// Benchmarks print their results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sigap::api::{self, AppState, Config};
use sigap::ksbb::{model, ops};
use sigap::roads::RoadClass;
use sigap::store::Store;
use sigap::tiles::tile::to_world;
use sigap::wilayah::{Atlas, AtlasConfig, AtlasHandle, Level};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const SITES: usize = 1_500;
const UMKM: usize = 50_000;
const KONFIRMASI: usize = 200;

/// Candidate points: vertices of streets where vendors trade, shuffled with a fixed seed.
fn candidates() -> Vec<(f64, f64)> {
    let roads = sigap::roads::read_roads(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/roads/jakarta_roads.geojson"))).expect("road file");
    let mut pts: Vec<(f64, f64)> = roads
        .iter()
        .filter(|r| matches!(r.class, RoadClass::Secondary | RoadClass::Tertiary | RoadClass::Residential) && !r.link)
        .flat_map(|r| r.line.0.iter().map(|c| (c.x, c.y)).collect::<Vec<_>>())
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
    pts.shuffle(&mut rng);
    pts
}

/// Loads the generated KSBB data through `ops` (as `sigap` would), returning the site points.
async fn load(store: &Store, atlas: &Atlas) -> Vec<(String, String, f64, f64)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(56);
    let mut sites = Vec::new();
    let mut tx = store.begin().await.expect("begin");
    for (lon, lat) in candidates() {
        if sites.len() == SITES {
            break;
        }
        let i = sites.len();
        let jenis = match i % 20 {
            0..=11 => "lokbin",
            12..=16 => "loksem",
            _ => "promosi",
        };
        let input: model::SiteInput = serde_json::from_value(serde_json::json!({"nama": format!("Lokasi {jenis} {i}"), "jenis": jenis, "lon": lon, "lat": lat,
            "kapasitas": rng.gen_range(20..60), "sumber": "generated: titik jalan OSM 2012 (ODbL), bukan data resmi"}))
        .expect("site input");
        let kode = format!("GEN-{i:04}");
        // A vertex outside the province outline (roads past the border) is refused: skip it.
        if ops::create_site(&mut tx, atlas, &kode, &input.check().expect("site"), "bench", true).await.is_ok() {
            sites.push((kode, jenis.to_string(), lon, lat));
        }
    }
    assert_eq!(sites.len(), SITES, "enough street vertices inside Jakarta");
    let mut csv = String::from("kode,nama_usaha,nama_pemilik,sektor,dinas,status_verifikasi,lokasi\n");
    for u in 0..UMKM {
        let status = if u % 33 == 0 { "ditolak" } else { "terverifikasi" };
        csv.push_str(&format!("GU-{u:05},Usaha {u},Pemilik {u},kuliner,ppkukm,{status},{}\n", sites[u % SITES].0));
    }
    let table = model::csv_table(&csv).expect("csv");
    ops::import_umkm(&mut tx, atlas, &table, ops::ImportMode { dry_run: false, skip_invalid: false }, "bench", true, &|_, _| {}).await.expect("import");
    let k: model::KolaboratorInput = serde_json::from_value(serde_json::json!({"jenis": "donatur", "nama": "Donatur Bench", "kontak_nama": "B", "kontak_email": "b@x.id"})).expect("k");
    let k = ops::register_kolaborator(&mut tx, &k.check().expect("k"), "bench").await.expect("register");
    let review = model::Review::Setujui { nomor: "PKS/BENCH".into(), mulai: "2026-01-01".parse().expect("d"), selesai: "2027-12-31".parse().expect("d") };
    ops::review_kolaborator(&mut tx, k.id, &review, "bench").await.expect("review");
    for n in 0..KONFIRMASI {
        let (a, b) = (n * 7 % SITES, (n * 7 + 3) % SITES);
        let input: model::KonfirmasiInput = serde_json::from_value(serde_json::json!({"bentuk": "sarana", "uraian": "Gerobak", "lokasi": [sites[a].0, sites[b].0],
            "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2026-12-31", "nilai_per_paket": 1_000_000, "jumlah_paket": 40}))
        .expect("konfirmasi");
        let konf = ops::submit_konfirmasi(&mut tx, k.id, &input.check().expect("konfirmasi"), 2026, "bench").await.expect("submit");
        // UMKM at site a are GU-(a + SITES·j).
        let lines: Vec<serde_json::Value> = (1..20)
            .map(|j| a + SITES * j)
            .filter(|u| u % 33 != 0)
            .take(10)
            .map(|u| serde_json::json!({"kode": format!("GU-{u:05}"), "jumlah": 1}))
            .collect();
        let r: model::RealisasiInput = serde_json::from_value(serde_json::json!({"id_kolaborasi": konf.id_kolaborasi, "jenis": "bast", "nomor_dokumen": format!("BAST/{n}"),
            "tanggal": "2026-12-10", "umkm": lines}))
        .expect("realisasi");
        ops::submit_realisasi(&mut tx, k.id, &r.check().expect("realisasi"), "bench").await.expect("bast");
    }
    tx.commit().await.expect("commit");
    sites
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, usize) {
    let res = app.clone().oneshot(Request::get(uri).body(Body::empty()).expect("req")).await.expect("call");
    let status = res.status();
    let n = http_body_util::BodyExt::collect(res.into_body()).await.expect("body").to_bytes().len();
    (status, n)
}

/// The stores to measure: `SIGAP_KSBB_STORES` (comma-separated), both by default.
fn stores() -> Vec<&'static str> {
    let chosen = std::env::var("SIGAP_KSBB_STORES").unwrap_or_else(|_| "gpkg,postgis".into());
    ["gpkg", "postgis"].into_iter().filter(|k| chosen.split(',').any(|c| c.trim() == *k)).collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for kind in stores() {
        let started = Instant::now();
        let (store, atlas, sites) = rt.block_on(async {
            let store = match kind {
                "gpkg" => {
                    let s = sigap::store::testing::gpkg().await;
                    common::load_shipped(&s, Level::Kelurahan).await;
                    s
                }
                _ => {
                    let s = common::shipped_postgis(Level::Kelurahan).await;
                    let Store::Postgis(pool) = &s else { unreachable!() };
                    let sql = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tiles/martin.sql")).expect("martin.sql");
                    sqlx::raw_sql(&sql).execute(pool).await.expect("apply martin.sql");
                    s
                }
            };
            let atlas = sigap::cli::load_atlas(&store, AtlasConfig::default()).await.expect("atlas");
            let sites = load(&store, &atlas).await;
            (store, atlas, sites)
        });
        println!("ksbb {kind}: {SITES} sites, {UMKM} UMKM, {KONFIRMASI} Konfirmasi + BAST loaded in {:.0} s", started.elapsed().as_secs_f64());
        let handle = AtlasHandle::new(atlas);
        let atlas = handle.current();
        let state = AppState::new(store.clone(), handle, Arc::new(Config::default()));
        let app = api::router(state.clone());
        let uri = "/api/v1/ksbb/rekap?tingkat=kelurahan";
        let (status, bytes) = rt.block_on(get(&app, uri));
        assert_eq!(status, StatusCode::OK);
        println!("ksbb {kind}: roll-up answer {bytes} bytes");

        // The densest z14 tile of lokbin sites.
        let mut count: HashMap<(u32, u32), usize> = HashMap::new();
        for (_, jenis, lon, lat) in &sites {
            if jenis == "lokbin" {
                let (x, y) = to_world(*lon, *lat);
                *count.entry(((x * 16384.0) as u32, (y * 16384.0) as u32)).or_default() += 1;
            }
        }
        let ((tx, ty), n) = count.into_iter().max_by_key(|(k, n)| (*n, *k)).expect("a tile");
        let tile_uri = format!("/tiles/lokbin/14/{tx}/{ty}.mvt");
        let lokbin_points: Vec<(f64, f64)> = sites.iter().filter(|s| s.1 == "lokbin").map(|s| (s.2, s.3)).collect();
        println!("ksbb {kind}: tile {tile_uri} holds {n} lokbin sites");

        let mut g = c.benchmark_group(format!("ksbb_{kind}"));
        g.sample_size(20).measurement_time(Duration::from_secs(6));
        g.bench_function("rekap_cached", |b| b.iter(|| rt.block_on(get(&app, uri))));
        let mut flip = 0u64;
        g.bench_function("rekap_after_write", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // A write the roll-up depends on (untimed): one UMKM's status flips, through ops.
                    flip += 1;
                    let status = if flip.is_multiple_of(2) { "terverifikasi" } else { "ditolak" };
                    let table = model::csv_table(&format!("kode,nama_usaha,nama_pemilik,sektor,dinas,status_verifikasi,lokasi\nGU-00001,Usaha 1,Pemilik 1,kuliner,ppkukm,{status},{}\n", sites[1].0)).expect("csv");
                    rt.block_on(async {
                        let mut tx = store.begin().await.expect("begin");
                        ops::import_umkm(&mut tx, &atlas, &table, ops::ImportMode { dry_run: false, skip_invalid: false }, "bench", true, &|_, _| {}).await.expect("write");
                        tx.commit().await.expect("commit");
                    });
                    let t = Instant::now();
                    rt.block_on(get(&app, uri));
                    total += t.elapsed();
                }
                total
            })
        });
        g.bench_function("site_tile_z14_cold", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    state.tiles.sites_changed("lokbin", &lokbin_points);
                    let t = Instant::now();
                    let (status, _) = rt.block_on(get(&app, &tile_uri));
                    total += t.elapsed();
                    assert_eq!(status, StatusCode::OK);
                }
                total
            })
        });
        if let Store::Postgis(pool) = &store {
            g.bench_function("postgis_sigap_tile_lokbin", |b| {
                b.iter(|| {
                    rt.block_on(sqlx::query_scalar::<_, Vec<u8>>("SELECT sigap_tile_lokbin(14, $1, $2)").bind(tx as i32).bind(ty as i32).fetch_one(pool)).expect("tile").len()
                })
            });
        }
        g.finish();
        rt.block_on(store.close());
    }
}

fn report(_: &mut Criterion) {
    for kind in stores() {
        let group = format!("ksbb_{kind}");
        let ms = |f: &str| common::mean_ns(&group, f).map_or("n/a".to_string(), |ns| format!("{:.2} ms", ns / 1e6));
        println!("KSBB {kind}: rekap cached {} (target < 5 ms), after a write {} (< 200 ms), site tile z14 cold {} (< 5 ms)", ms("rekap_cached"), ms("rekap_after_write"), ms("site_tile_z14_cold"));
    }
    common::print_ratio("ksbb_postgis", "postgis_sigap_tile_lokbin", "site_tile_z14_cold", |_| String::new());
    common::print_ratio("ksbb_postgis", "rekap_after_write", "rekap_cached", |_| String::new());
    common::print_ratio("ksbb_gpkg", "rekap_after_write", "rekap_cached", |_| String::new());
}

criterion_group!(benches, bench, report);
criterion_main!(benches);
