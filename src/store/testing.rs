//! Fresh stores for tests: a new GeoPackage file and a new PostGIS database per call.
//!
//! PostGIS comes from `SIGAP_TEST_PG` (set by `scripts/test.sh`, which starts a throwaway
//! cluster). Without it the store tests fail loudly rather than skip: a store test that did not
//! run against PostGIS has not shown the two stores behave the same.

use super::Store;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{}_{}", std::process::id(), t % 1_000_000_000, n)
}

pub async fn gpkg() -> Store {
    let dir = std::env::var("SIGAP_TEST_TMP").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let path = dir.join(format!("{}.gpkg", unique("sigap_test")));
    Store::open(&path.display().to_string()).await.expect("open test GeoPackage")
}

pub fn pg_url() -> String {
    std::env::var("SIGAP_TEST_PG").expect(
        "SIGAP_TEST_PG is not set: run the tests with `make test` (scripts/test.sh starts a throwaway PostGIS)",
    )
}

pub async fn postgis() -> Store {
    let admin = pg_url();
    let name = unique("sigap_test");
    let pool = sqlx::PgPool::connect(&admin).await.expect("connect to test PostGIS");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create test database");
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
    Store::open(&format!("{base}/{name}")).await.expect("open test PostGIS")
}

/// Both stores, GeoPackage first.
pub async fn both() -> Vec<Store> {
    vec![gpkg().await, postgis().await]
}
