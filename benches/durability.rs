//! What `synchronous = FULL` costs the GeoPackage store: one keyed write (the idempotency claim,
//! a row, the stored answer, one commit — the shape of every acknowledged POST) with the WAL
//! fsynced at each commit (FULL) against fsynced only at checkpoints (NORMAL), same file,
//! same run, one client. Prints `DURABILITY` lines for the README (a timed loop with
//! percentiles rather than criterion: the tail is what a client waiting for its 201 feels).

use axum::http::StatusCode;
use sigap::api::write::keyed_write;
use sigap::api::IdempotencyKey;
use sigap::store::audit::{self, AuditEntry};
use sigap::store::{gpkg_options, Store, StoreError, Tx};
use sqlx::sqlite::{SqlitePoolOptions, SqliteSynchronous};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

static N: AtomicU64 = AtomicU64::new(0);

async fn one_write(store: &Store) {
    let n = N.fetch_add(1, Ordering::Relaxed);
    let key = IdempotencyKey(Some(format!("bench-{n}")));
    let body = serde_json::json!({ "n": n });
    let res = keyed_write(store, "bench.durability", &key, &body, StatusCode::CREATED, async |tx: &mut Tx| {
        let id = n.to_string();
        audit::record(tx, AuditEntry { actor: "bench", action: "create", entity: "bench", entity_id: &id, before: None, after: Some(body.clone()) }).await?;
        Ok::<_, StoreError>(serde_json::json!({ "id": n }))
    })
    .await;
    assert!(res.is_ok(), "keyed write failed");
}

/// Writes per mode per round; the modes alternate over `ROUNDS` rounds so a change in the
/// machine's load during the run hits both alike.
const PER_ROUND: usize = 300;
const ROUNDS: usize = 5;

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = std::env::var("SIGAP_TEST_TMP").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let path = dir.join(format!("sigap_durability_{}.gpkg", std::process::id())).display().to_string();
    // Creates the file and runs the migrations.
    rt.block_on(async { Store::open(&path).await.expect("open").close().await });
    let modes = [("NORMAL", SqliteSynchronous::Normal), ("FULL", SqliteSynchronous::Full)];
    let stores: Vec<Store> = modes
        .iter()
        .map(|(_, mode)| {
            rt.block_on(async {
                let opts = gpkg_options(&path).expect("options").synchronous(*mode);
                Store::Gpkg(SqlitePoolOptions::new().max_connections(4).connect_with(opts).await.expect("pool"))
            })
        })
        .collect();
    for s in &stores {
        for _ in 0..50 {
            rt.block_on(one_write(s)); // warm-up
        }
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    for _ in 0..ROUNDS {
        for (i, s) in stores.iter().enumerate() {
            for _ in 0..PER_ROUND {
                let t = Instant::now();
                rt.block_on(one_write(s));
                times[i].push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    for ((name, _), t) in modes.iter().zip(&mut times) {
        t.sort_by(f64::total_cmp);
        let pct = |q: f64| t[((t.len() - 1) as f64 * q) as usize];
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        println!(
            "DURABILITY gpkg keyed write, synchronous={name}: {} writes, mean {mean:.2} ms, p50 {:.2} ms, p99 {:.2} ms, {:.0} writes/s one client (load {})",
            t.len(),
            pct(0.5),
            pct(0.99),
            1e3 / mean,
            load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        );
    }
    for s in &stores {
        rt.block_on(s.close());
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}
