//! What `synchronous = FULL` costs the GeoPackage store: one keyed write (the idempotency claim,
//! a row, the stored answer, one commit — the shape of every acknowledged POST) with the WAL
//! fsynced at each commit (FULL) against fsynced only at checkpoints (NORMAL), same file,
//! same run. Prints `DURABILITY` lines for the README.

use axum::http::StatusCode;
use criterion::{criterion_group, criterion_main, Criterion};
use sigap::api::write::keyed_write;
use sigap::api::IdempotencyKey;
use sigap::store::audit::{self, AuditEntry};
use sigap::store::{gpkg_options, Store, StoreError, Tx};
use sqlx::sqlite::{SqlitePoolOptions, SqliteSynchronous};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = std::env::var("SIGAP_TEST_TMP").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let path = dir.join(format!("sigap_durability_{}.gpkg", std::process::id()));
    let path = path.display().to_string();
    // Creates the file and runs the migrations.
    rt.block_on(async { Store::open(&path).await.expect("open").close().await });
    let mut g = c.benchmark_group("gpkg_keyed_write");
    g.sample_size(50).measurement_time(Duration::from_secs(10));
    for (name, mode) in [("normal", SqliteSynchronous::Normal), ("full", SqliteSynchronous::Full)] {
        let store = rt.block_on(async {
            let opts = gpkg_options(&path).expect("options").synchronous(mode);
            Store::Gpkg(SqlitePoolOptions::new().max_connections(4).connect_with(opts).await.expect("pool"))
        });
        g.bench_function(name, |b| b.iter(|| rt.block_on(one_write(&store))));
        rt.block_on(store.close());
    }
    g.finish();
    let _ = std::fs::remove_file(&path);
}

fn report(_: &mut Criterion) {
    let m = |f| common::mean_ns("gpkg_keyed_write", f);
    match (m("normal"), m("full")) {
        (Some(n), Some(f)) => println!(
            "DURABILITY gpkg keyed write: synchronous=NORMAL {:.2} ms, FULL {:.2} ms (+{:.2} ms, {:.1}x); {:.0} vs {:.0} writes/s serial",
            n / 1e6, f / 1e6, (f - n) / 1e6, f / n, 1e9 / n, 1e9 / f
        ),
        _ => println!("DURABILITY: estimates not found under target/criterion/gpkg_keyed_write"),
    }
}

#[allow(dead_code)] // the durability bench uses only the estimates reader
mod common;

criterion_group!(benches, bench, report);
criterion_main!(benches);
