//! Logistics stock at scale (issue 11, "Performance"): a generated ledger of 100.000 and
//! 1.000.000 movements over 10 gudang × 2.000 items × 3 lots, on both stores, measuring
//!
//! - the stock balance of one gudang (`ops::saldo`, what `GET /api/v1/logistik/stok?gudang=`
//!   answers) — target < 50 ms on PostGIS;
//! - the availability report for all gudang (`ops::kebutuhan_vs_stok`, what
//!   `GET /api/v1/logistik/kebutuhan` answers) — target < 1 s on PostGIS;
//! - as the peer, the same balance of one gudang summed from the ledger itself, which is what
//!   the summary table `logistik_saldo` (kept in the same transaction as each movement) saves;
//! - dispatch throughput: 20 concurrent clients dispatching approved requests through the real
//!   keyed write (`ops::kirim`, FEFO under the gudang lock), movements committed per second.
//!
//! Prints `LOGISTICS` lines (with the load average) for the README. A timed loop with
//! percentiles, not criterion: generating a million rows per store per size is the slow part,
//! and the percentiles are what an operator waiting for the page feels. The generated rows are
//! written with plain SQL (the measured reads and the dispatch go through `ops`).
// Benchmarks print their results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use axum::http::StatusCode;
use sigap::api::write::keyed_write;
use sigap::api::IdempotencyKey;
use sigap::logistics::ops;
use sigap::logistics::permintaan::KirimInput;
use sigap::store::{testing, Store, Tx};

const GUDANG: i64 = 10;
const BARANG: i64 = 2_000;
const LOTS: i64 = 3;
const CLIENTS: usize = 20;
const PER_CLIENT: usize = 15;

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Movement `i` of `n`: pair p = i mod 20.000 (gudang p mod 10, item p div 10), step s = i div
/// 20.000; the first three steps of a pair receive 1.000 units into lots L0..L2 (expiring in
/// 30, 200, 400 days), later steps take 1..10 units out of lot s mod 3 — never below zero.
fn ledger_sql(pg: bool, n: i64) -> String {
    let pairs = GUDANG * BARANG;
    let (series, now, date) = if pg {
        (format!("generate_series(0, {}) AS s(i)", n - 1), "now()".to_string(), "current_date + (30 + 185 * ((i / {pairs}) % 3))::int".to_string())
    } else {
        (
            format!("(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < {n}) SELECT i FROM s) AS s"),
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')".to_string(),
            "date('now', '+' || (30 + 185 * ((i / {pairs}) % 3)) || ' days')".to_string(),
        )
    };
    let date = date.replace("{pairs}", &pairs.to_string());
    let (gudang, barang, lot) = gen_keys(pg, "i");
    format!(
        "INSERT INTO logistik_mutasi (at, jenis, gudang, barang, lot, kedaluwarsa, jumlah, ref, alasan, actor) \
         SELECT {now}, CASE WHEN i / {pairs} < {LOTS} THEN 'penerimaan' ELSE 'pengeluaran' END, {gudang}, {barang}, {lot}, {date}, \
         CASE WHEN i / {pairs} < {LOTS} THEN 1000000 ELSE -1000 * (1 + i % 10) END, NULL, NULL, 'bench' FROM {series}"
    )
}

/// The gudang, item and lot codes of movement `i` (an SQL expression), the same on both stores.
fn gen_keys(pg: bool, i: &str) -> (String, String, String) {
    let pairs = GUDANG * BARANG;
    let pad = |e: String, w: usize| if pg { format!("lpad(({e})::text, {w}, '0')") } else { format!("substr('0000' || ({e}), -{w}, {w})") };
    (
        format!("'G' || {}", pad(format!("{i} % {pairs} % {GUDANG}"), 2)),
        format!("'B' || {}", pad(format!("{i} % {pairs} / {GUDANG}"), 4)),
        format!("'L' || ({i} / {pairs} % {LOTS})"),
    )
}

async fn exec(store: &Store, sql: &str) {
    sigap::on_pool!(store, p => sqlx::query(sql).execute(p).await.map(|_| ())).unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// Catalog, gudang, `n` movements and the balances they sum to.
async fn generate(store: &Store, n: i64) {
    let pg = matches!(store, Store::Postgis(_));
    let (series, t) = if pg { ("generate_series(1, {n}) AS s(i)", "true") } else { ("(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s) AS s", "1") };
    let now = if pg { "now()" } else { "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" };
    let pad = |w: usize| if pg { format!("lpad((i - 1)::text, {w}, '0')") } else { format!("substr('0000' || (i - 1), -{w}, {w})") };
    exec(store, &format!(
        "INSERT INTO logistik_barang (kode, jenis, nama, spesifikasi, satuan, bulat, perlu_kedaluwarsa, konversi, generated, versi, updated_at) \
         SELECT 'B' || {}, 'lainnya', 'Barang ' || i, NULL, 'pcs', {t}, {t}, '[]', {t}, 1, {now} FROM {}",
        pad(4), series.replace("{n}", &BARANG.to_string()))).await;
    exec(store, &format!(
        "INSERT INTO logistik_gudang (kode, nama, alamat, lon, lat, kelurahan, kota, aktif, generated, versi, updated_at) \
         SELECT 'G' || {}, 'Gudang ' || i, NULL, 106.80 + i * 0.005, -6.18, '31.71.01.1001', '31.71', {t}, {t}, 1, {now} FROM {}",
        pad(2), series.replace("{n}", &GUDANG.to_string()))).await;
    exec(store, &ledger_sql(pg, n)).await;
    exec(store, "INSERT INTO logistik_saldo (gudang, barang, lot, kedaluwarsa, jumlah) \
                 SELECT gudang, barang, lot, MIN(kedaluwarsa), SUM(jumlah) FROM logistik_mutasi GROUP BY gudang, barang, lot").await;
    exec(store, "ANALYZE").await;
}

/// Milliseconds per run of `f`: `runs` timed after one warm-up; returns (p50, p95, mean).
async fn time<F, Fut>(runs: usize, mut f: F) -> (f64, f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    f().await;
    let mut t = Vec::with_capacity(runs);
    for _ in 0..runs {
        let s = Instant::now();
        std::hint::black_box(f().await);
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[(t.len() - 1) * 95 / 100], t.iter().sum::<f64>() / t.len() as f64)
}

/// Approved requests ready to dispatch, one line of 1 unit each, spread over gudang and items.
async fn approved_requests(store: &Store, count: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(count);
    let now = chrono::Utc::now();
    for k in 0..count as i64 {
        let gudang = format!("G{:02}", k % GUDANG);
        let barang = format!("B{:04}", (k * 7) % BARANG);
        let id: i64 = sigap::on_pool!(store, p => sqlx::query_scalar(
            "INSERT INTO logistik_permintaan (unit, lon, lat, kelurahan, kota, tempat, status, gudang, versi, actor, created_at, updated_at) \
             VALUES ('31.71.01.1001', 106.82, -6.18, '31.71.01.1001', '31.71', NULL, 'disetujui', $1, 2, 'bench', $2, $2) RETURNING id")
            .bind(&gudang).bind(now).fetch_one(p).await).expect("request");
        sigap::on_pool!(store, p => sqlx::query("INSERT INTO logistik_permintaan_baris (permintaan_id, barang, diminta, disetujui) VALUES ($1, $2, 1000, 1000)")
            .bind(id).bind(&barang).execute(p).await.map(|_| ())).expect("line");
        ids.push(id);
    }
    ids
}

/// 20 clients, each dispatching its share of `ids` one after another through the keyed write.
async fn dispatch(store: &Store, ids: Vec<i64>) -> (usize, f64) {
    let today = sigap::logistics::model::jakarta_today();
    let started = Instant::now();
    let chunks: Vec<Vec<i64>> = ids.chunks(PER_CLIENT).map(<[i64]>::to_vec).collect();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut ok = 0;
                for id in chunk {
                    let input = KirimInput { versi: 2, surat_jalan: format!("SJ/BENCH/{id}") };
                    let key = IdempotencyKey(Some(format!("bench-kirim-{id}")));
                    let res = keyed_write(&store, "bench.kirim", &key, &(id, &input), StatusCode::OK, async |tx: &mut Tx| ops::kirim(tx, id, &input, today, "bench").await).await;
                    ok += usize::from(res.map(|r| r.status() == StatusCode::OK).unwrap_or(false));
                }
                ok
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        ok += t.await.expect("client");
    }
    (ok, started.elapsed().as_secs_f64())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    let sizes: Vec<i64> = std::env::var("LOGISTICS_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 1_000_000]);
    let runs = 20;
    for &n in &sizes {
        for name in ["gpkg", "postgis"] {
            rt.block_on(async {
                let store = if name == "gpkg" { testing::gpkg().await } else { testing::postgis().await };
                let t = Instant::now();
                generate(&store, n).await;
                let gen_s = t.elapsed().as_secs_f64();
                let today = sigap::logistics::model::jakarta_today();
                let st = &store;
                let balance = time(runs, || async move { ops::saldo(st, Some("G03"), None, 30, false, today).await.expect("saldo").len() }).await;
                let report = time(runs.min(10), || async move { ops::kebutuhan_vs_stok(st, None, None).await.expect("report").len() }).await;
                let ledger = time(runs.min(10), || async move {
                    let rows: Vec<(String, i64)> = sigap::on_pool!(st, p => sqlx::query_as(
                        "SELECT barang, CAST(SUM(jumlah) AS BIGINT) FROM logistik_mutasi WHERE gudang = 'G03' GROUP BY barang").fetch_all(p).await).expect("ledger");
                    rows.len()
                })
                .await;
                let ids = approved_requests(&store, CLIENTS * PER_CLIENT).await;
                let (ok, secs) = dispatch(&store, ids).await;
                let l = load();
                println!("LOGISTICS {name} ledger {n}: generated in {gen_s:.1} s (load {l})");
                println!("LOGISTICS {name} ledger {n}: balance of one gudang (2.000 items × 3 lots) p50 {:.1} ms, p95 {:.1} ms, mean {:.1} ms", balance.0, balance.1, balance.2);
                println!("LOGISTICS {name} ledger {n}: availability report, all gudang × 2.000 items, p50 {:.1} ms, p95 {:.1} ms, mean {:.1} ms", report.0, report.1, report.2);
                println!("LOGISTICS {name} ledger {n}: peer, one gudang's balance summed from the ledger, p50 {:.1} ms, p95 {:.1} ms", ledger.0, ledger.1);
                println!(
                    "LOGISTICS {name} ledger {n}: dispatch, {CLIENTS} clients × {PER_CLIENT}: {ok} dispatched in {secs:.2} s = {:.0} movements/s (load {})",
                    ok as f64 / secs,
                    load()
                );
                assert_eq!(ok, CLIENTS * PER_CLIENT, "every dispatch has stock");
                store.close().await;
            });
        }
    }
}
