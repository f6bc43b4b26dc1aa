//! Recipients at the scale of DKI (issue 12): a **generated** candidate file of 1,194,633
//! households (every NIK and No. KK structurally valid — DKI region of the household's
//! kecamatan, a real date of birth, women +40 — but made up from a seed; nothing is written to
//! the repository) imported with cleaning and dedup into an empty store of each kind; then the RW
//! operator's page of candidates and the BNBA PDF of the largest kelurahan. Each size is a fresh
//! store, so the import times show how the import grows with the file (100k → 1.2M).
//!
//! A timed run rather than criterion (an import of a million rows is one sample): prints
//! `RECIPIENTS` lines for the README. `SIGAP_RECIPIENTS_SIZES=100000,1194633` (the default) sets the
//! household counts; `SIGAP_RECIPIENTS_STORES=gpkg,postgis` the stores. Needs SIGAP_TEST_PG
//! (scripts/bench.sh starts a PostGIS) and writes its GeoPackage under SIGAP_TEST_TMP; both are
//! removed at the end.
// Benchmarks print their results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sigap::recipients::crypt::Pii;
use sigap::recipients::dokumen::{self, Jenis, Kepala};
use sigap::recipients::model::{Format, Sumber};
use sigap::recipients::ops::{self, BatchMeta};
use sigap::recipients::sk::SkItem;
use sigap::recipients::store::{self as rstore, HouseholdFilter, SkItemRow};
use sigap::store::{testing, Store};
use sigap::wilayah::{Atlas, AtlasConfig, Level};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

/// DKI's households in the seeds' data (Jakarta PSBB list).
const DKI_HOUSEHOLDS: usize = 1_194_633;
const SEED: u64 = 12;
const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const HASH_KEY: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

const FIRST: &[&str] = &[
    "Siti", "Budi", "Agus", "Dewi", "Rina", "Joko", "Wati", "Hendra", "Yanti", "Rudi", "Lina", "Tono", "Sri", "Eko", "Ahmad", "Nur", "Dian", "Fajar",
    "Putri", "Rizky", "Indah", "Bambang", "Yuli", "Hadi", "Ratna", "Slamet", "Endang", "Wahyu", "Maya", "Andi", "Fitri", "Dedi", "Ayu", "Iwan", "Lestari",
    "Bayu", "Nining", "Sutrisno", "Mega", "Taufik", "Kartini", "Asep", "Ujang", "Neneng", "Rohmat", "Suparmi", "Mulyadi", "Sumarni", "Heri", "Tuti",
];
const LAST: &[&str] = &[
    "Aminah", "Santoso", "Hidayat", "Lestari", "Pratama", "Kurniawan", "Wijaya", "Susanti", "Nugroho", "Rahayu", "Saputra", "Setiawan", "Purnomo",
    "Handayani", "Siregar", "Nasution", "Simanjuntak", "Wibowo", "Hartono", "Gunawan", "Sulistyo", "Firmansyah", "Ramadhan", "Maulana", "Hasibuan",
    "Permana", "Utami", "Suryadi", "Kusuma", "Halim", "Sembiring", "Lubis", "Harahap", "Syahputra", "Fauzi", "Iskandar", "Sitorus", "Tanjung",
];
const JALAN: &[&str] = &[
    "Jl. Melati", "Jl. Mawar", "Jl. Kenanga", "Gg. Haji Saan", "Jl. Kebon Jeruk", "Jl. Swadaya", "Gg. Masjid", "Jl. Pedongkelan", "Jl. Cempaka",
    "Jl. Bhakti", "Gg. Kelinci", "Jl. Manggis", "Jl. Rawa Buaya", "Jl. Pisangan", "Gg. Langgar", "Jl. Kampung Bali", "Jl. Tanah Tinggi",
];

/// `yymmdd`-style date parts of day `n` after 1 January 1950 (proleptic, real calendar dates).
fn date_of(base: chrono::NaiveDate, days: i64) -> (u32, u32, i32) {
    use chrono::Datelike;
    let d = base + chrono::Duration::days(days);
    (d.day(), d.month(), d.year() % 100)
}

/// The generated candidate file: `households` households spread over every RW of the atlas (a
/// few RWs larger than others), plus one row in 50 repeating an earlier household's No. KK (the
/// same family from a second listing: dedup) and one in 1,000 with an impossible date of birth
/// (cleaning refuses it). Returns the CSV and the households per kelurahan.
fn generate(atlas: &Atlas, households: usize) -> (Vec<u8>, BTreeMap<String, usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let rws: Vec<String> = atlas.all().iter().filter(|a| a.code.level() == Level::Rw).map(|a| a.code.to_string()).collect();
    assert!(!rws.is_empty(), "no RW loaded");
    // Weight each RW 1..=3 so the kelurahan differ in size as they do.
    let weighted: Vec<&String> = rws.iter().flat_map(|r| std::iter::repeat_n(r, rng.gen_range(1..=3))).collect();
    let birth = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("date");
    let issued = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let mut csv = String::with_capacity(households * 120);
    csv.push_str("nik,no_kk,nama,alamat,rt,rw,jumlah_anggota,program\n");
    let mut per_kel: BTreeMap<String, usize> = BTreeMap::new();
    // Households made so far (No. KK, nama, alamat, RT, RW) for the repeated listings.
    let mut kks: Vec<(String, String, String, String, &String)> = Vec::new();
    let mut made = 0usize;
    while made < households {
        if made > 0 && rng.gen_ratio(1, 50) {
            // The same family listed again (its No. KK; another head's NIK): one household.
            // (The head's NIK is of a kecamatan code no generated household has.)
            let (kk, nama, alamat, rt, rw) = &kks[rng.gen_range(0..kks.len())];
            let _ = writeln!(csv, "3172994101900001,{kk},{nama},{alamat},{rt},{rw},3,");
            continue;
        }
        if rng.gen_ratio(1, 1000) {
            let _ = writeln!(csv, "3171013102900001,3171010101200001,Tanggal Salah,Jl. Uji 1,001,{},2,", weighted[0]);
            continue;
        }
        let rw = weighted[rng.gen_range(0..weighted.len())];
        // NIK region: province, kab/kota, kecamatan of the RW (31.71.01.1001.008 → 317101).
        let region: String = rw.split('.').take(3).collect();
        // Unique per household: the date index and serial come from `made`, never repeated.
        let (serial, step) = (made % 9999 + 1, (made / 9999) as i64);
        let (d, m, y) = date_of(birth, step * 113 + rng.gen_range(0..100));
        let woman = rng.gen_bool(0.5);
        let nik = format!("{region}{:02}{m:02}{y:02}{serial:04}", d + if woman { 40 } else { 0 });
        let (kd, km, ky) = date_of(issued, step * 29);
        let kk = format!("{region}{kd:02}{km:02}{ky:02}{serial:04}");
        let nama = format!("{} {}", FIRST[rng.gen_range(0..FIRST.len())], LAST[rng.gen_range(0..LAST.len())]);
        let alamat = format!("{} No. {}", JALAN[rng.gen_range(0..JALAN.len())], rng.gen_range(1..300));
        let rt = format!("{:03}", rng.gen_range(1..=12));
        let program = if rng.gen_ratio(1, 10) { "PKH" } else { "" };
        let _ = writeln!(csv, "{nik},{kk},{nama},{alamat},{rt},{rw},{},{program}", rng.gen_range(1..=8));
        *per_kel.entry(rw.rsplit_once('.').map(|(k, _)| k.to_string()).unwrap_or_default()).or_default() += 1;
        kks.push((kk, nama, alamat, rt, rw));
        made += 1;
    }
    (csv.into_bytes(), per_kel)
}

struct Fresh {
    store: Store,
    label: &'static str,
    cleanup: Box<dyn FnOnce() + Send>,
}

async fn fresh(kind: &str) -> Fresh {
    match kind {
        "gpkg" => {
            let path = testing::gpkg_path();
            let store = Store::open(&path.display().to_string()).await.expect("open GeoPackage");
            let cleanup = Box::new(move || {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
            });
            Fresh { store, label: "GeoPackage", cleanup }
        }
        _ => {
            let url = testing::postgis_url().await;
            let store = Store::open(&url).await.expect("open PostGIS");
            let name = url.rsplit('/').next().unwrap_or_default().to_string();
            let cleanup = Box::new(move || {
                let rt = tokio::runtime::Runtime::new().expect("runtime");
                rt.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&testing::pg_url()).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
                    }
                });
            });
            Fresh { store, label: "PostGIS", cleanup }
        }
    }
}

/// CPU seconds this process has used (user + system, Linux `/proc/self/stat`, 100 ticks a
/// second): on a shared machine the wall time says more about the neighbours than about sigap.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`: state is field 3, utime 14 and stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(kind: &str, households: usize, pii: &Pii, measure_reads: bool) {
    let Fresh { store, label, cleanup } = fresh(kind).await;
    common::load_shipped(&store, Level::Rw).await;
    let atlas = sigap::cli::load_atlas(&store, AtlasConfig::default()).await.expect("atlas");
    let (csv, per_kel) = generate(&atlas, households);
    let rows = csv.iter().filter(|b| **b == b'\n').count() - 1;

    let (t, cpu) = (Instant::now(), cpu_s());
    let prepared = ops::prepare(&csv, Format::Csv, &atlas).expect("prepare");
    let cleaned = t.elapsed().as_secs_f64();
    let mut tx = store.begin().await.expect("begin");
    let meta = BatchMeta { sumber: Sumber::Dinsos, nama_file: "generated.csv", actor: "bench", generated: true };
    let report = ops::import(&mut tx, pii, &meta, &prepared, &|_| {}).await.expect("import");
    tx.commit().await.expect("commit");
    let total = t.elapsed().as_secs_f64();
    let cpu = cpu_s() - cpu;
    // The cleaned rows (about a gigabyte at 1.2M) are not needed for the reads.
    drop(prepared);
    println!(
        "RECIPIENTS import {label}: {households} households ({rows} rows, {} refused, {} joined an earlier household, {} near-duplicate pairs) in {total:.1} s \
         (reading and cleaning {cleaned:.1} s, store {:.1} s; {:.0} rows/s; this process's CPU {cpu:.1} s)",
        report.batch.rows_ditolak,
        report.rumah_tangga_gabung,
        report.mirip_baru,
        total - cleaned,
        rows as f64 / total
    );
    assert_eq!(report.rumah_tangga_baru as usize, households, "every generated household stored once");

    if measure_reads {
        // The RW operator's page: the first page of 100 (and the next) of 50 RWs, each 5 times.
        let rws: Vec<String> = atlas.all().iter().filter(|a| a.code.level() == Level::Rw).step_by(50).map(|a| a.code.to_string()).collect();
        let mut times = Vec::new();
        for _ in 0..5 {
            for rw in &rws {
                let t = Instant::now();
                let page = rstore::households(&store, &HouseholdFilter { rw: Some(rw.clone()), kelurahan: None, after: 0, limit: 100 }).await.expect("page");
                if let Some(last) = page.last() {
                    rstore::households(&store, &HouseholdFilter { rw: Some(rw.clone()), kelurahan: None, after: last.id, limit: 100 }).await.expect("page 2");
                }
                times.push(t.elapsed().as_secs_f64() * 1e3 / 2.0);
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "RECIPIENTS rw-page {label}: a page of 100 households of one RW (with sources), {} pages: median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            times.len(),
            pct(&times, 0.5),
            pct(&times, 0.95),
            pct(&times, 1.0)
        );

        // BNBA of the largest kelurahan: its households written as a decree (the pipeline before
        // it — matching, eligibility, verification — is not what this measures), then read back
        // and laid out as the endpoint does.
        let (kel, n) = per_kel.iter().max_by_key(|(_, n)| **n).map(|(k, n)| (k.clone(), *n)).expect("a kelurahan");
        let items = decree_items(&store, &kel).await;
        let mut tx = store.begin().await.expect("begin");
        let today = chrono::Utc::now().date_naive();
        let sk = rstore::insert_sk(&mut tx, 1, "1 Tahun 2026 (generated)", today, "bench", &items, "bench").await.expect("insert sk");
        tx.commit().await.expect("commit");
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let items = rstore::sk_items(&store, sk, &kel).await.expect("sk items");
            let kepala = Kepala { jenis: Jenis::Bnba, sk_nomor: "1 Tahun 2026".into(), sk_tanggal: today, sk_versi: 1, wilayah: format!("Kelurahan ({kel})") };
            let pdf = tokio::task::spawn_blocking(move || dokumen::pdf(&kepala, &items)).await.expect("pdf");
            times.push(t.elapsed().as_secs_f64());
            bytes = pdf.len();
        }
        times.sort_by(f64::total_cmp);
        println!("RECIPIENTS bnba {label}: kelurahan {kel} ({n} households, PDF {:.1} MB): median {:.2} s over 3 (read + PDF)", bytes as f64 / 1e6, pct(&times, 0.5));
    }
    store.close().await;
    // Off the runtime: the PostGIS clean-up runs one of its own.
    let _ = std::thread::spawn(cleanup).join();
}

/// The households of a kelurahan as decree items (masked numbers and hashes as stored).
async fn decree_items(store: &Store, kel: &str) -> Vec<SkItem> {
    let sql = "SELECT id AS household_id, rw, rt, nik_mask, kk_mask, nama, alamat, jumlah_anggota, nik_hash, kk_hash \
               FROM recipient_household WHERE rw LIKE $1 || '.%' ORDER BY id";
    let rows: Vec<SkItemRow> = match store {
        Store::Gpkg(p) => sqlx::query_as(sql).bind(kel).fetch_all(p).await,
        Store::Postgis(p) => sqlx::query_as(sql).bind(kel).fetch_all(p).await,
    }
    .expect("items");
    rows.into_iter().map(SkItem::from).collect()
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SIGAP_RECIPIENTS_SIZES")
        .unwrap_or_else(|_| format!("100000,{DKI_HOUSEHOLDS}"))
        .split(',')
        .map(|s| s.trim().parse().expect("SIGAP_RECIPIENTS_SIZES: numbers"))
        .collect();
    let stores = std::env::var("SIGAP_RECIPIENTS_STORES").unwrap_or_else(|_| "gpkg,postgis".into());
    let pii = Pii::new(KEY, &[], HASH_KEY).expect("keys");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("RECIPIENTS machine: {} cores, load average at start {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), load.trim());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let largest = sizes.iter().copied().max().unwrap_or(0);
    for kind in stores.split(',') {
        for &n in &sizes {
            rt.block_on(run(kind.trim(), n, &pii, n == largest));
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("RECIPIENTS machine: load average at end {}", load.trim());
}
