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
    Store::open(&gpkg_path().display().to_string()).await.expect("open test GeoPackage")
}

pub fn pg_url() -> String {
    std::env::var("SIGAP_TEST_PG").expect(
        "SIGAP_TEST_PG is not set: run the tests with `make test` (scripts/test.sh starts a throwaway PostGIS)",
    )
}

/// The URL of a new, empty PostGIS database (for tests that hand it to the `sigap` binary).
pub async fn postgis_url() -> String {
    let admin = pg_url();
    let name = unique("sigap_test");
    let pool = sqlx::PgPool::connect(&admin).await.expect("connect to test PostGIS");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create test database");
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
    format!("{base}/{name}")
}

pub async fn postgis() -> Store {
    Store::open(&postgis_url().await).await.expect("open test PostGIS")
}

/// The path of a new GeoPackage file (not yet created).
pub fn gpkg_path() -> std::path::PathBuf {
    let dir = std::env::var("SIGAP_TEST_TMP").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    dir.join(format!("{}.gpkg", unique("sigap_test")))
}

/// URLs of two new stores (GeoPackage path first, then a PostGIS database), for tests that
/// run the binary.
pub async fn both_urls() -> Vec<String> {
    vec![gpkg_path().display().to_string(), postgis_url().await]
}

/// Runs one test case on a fresh GeoPackage and then on a fresh PostGIS database, catching a
/// panic of each so a failure on one store does not hide the other's result; then fails naming
/// every store that failed and why (the panic hook has already printed each panic with its
/// location). Opening a store is caught too, so a missing `SIGAP_TEST_PG` fails PostGIS only.
/// The case runs on the test's own task (no `Send` or `'static` needed), so it may borrow.
///
/// ```no_run
/// # async fn case() {
/// use sigap::store::testing;
/// testing::for_each_store(|store| async move {
///     store.ping().await.expect("the store answers");
/// })
/// .await;
/// # }
/// ```
pub async fn for_each_store<F, Fut>(case: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures_util::FutureExt;
    use std::panic::AssertUnwindSafe;
    let mut results: Vec<(&str, Result<(), String>)> = Vec::new();
    for kind in ["geopackage", "postgis"] {
        let run = async {
            let store = if kind == "geopackage" { gpkg().await } else { postgis().await };
            case(store).await
        };
        results.push((kind, AssertUnwindSafe(run).catch_unwind().await.map_err(panic_text)));
    }
    let failed: Vec<String> = results.iter().filter_map(|(kind, r)| r.as_ref().err().map(|e| format!("{kind}: {e}"))).collect();
    if !failed.is_empty() {
        let passed: Vec<&str> = results.iter().filter(|(_, r)| r.is_ok()).map(|(k, _)| *k).collect();
        panic!("failed on {} of 2 stores (passed: {passed:?}):\n{}", failed.len(), failed.join("\n"));
    }
}

/// The message of a caught panic.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload.downcast_ref::<&str>().map_or_else(|| "panicked".to_string(), |s| s.to_string()),
    }
}

/// A file under `data/testdata/` of this checkout: test and benchmark inputs are shipped in the
/// repository so a fresh clone anywhere runs them.
pub fn testdata(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/testdata").join(rel)
}

/// The 26,092 OSM test points as (lon, lat). The file is not strict JSON (some names are a bare
/// `NaN`), so those are read as null first.
pub fn osm_test_points() -> std::io::Result<Vec<(f64, f64)>> {
    let text = std::fs::read_to_string(testdata("osm-poi-jakarta-testpoints/poi_jakarta.json"))?.replace(": NaN", ": null");
    let v: Vec<serde_json::Value> = serde_json::from_str(&text)?;
    Ok(v.iter().map(|p| (p["lon"].as_f64().unwrap_or(f64::NAN), p["lat"].as_f64().unwrap_or(f64::NAN))).collect())
}

/// A second handle, with its own pool, on the same database or file as `store`: what another
/// sigap process sees (tests of several processes on one store).
pub async fn reopen(store: &Store) -> Store {
    Store::open(&url_of(store)).await.expect("reopen the test store")
}

/// The URL a test store was opened by, for another pool or another `sigap` process.
pub fn url_of(store: &Store) -> String {
    match store {
        Store::Gpkg(p) => p.connect_options().get_filename().display().to_string(),
        Store::Postgis(p) => {
            let admin = pg_url();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
            format!("{base}/{}", p.connect_options().get_database().expect("a test database name"))
        }
    }
}
