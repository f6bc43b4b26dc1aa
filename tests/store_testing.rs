//! The both-stores test helper itself: a case that fails on one store still runs on the other,
//! and the failure names the store that failed and the one that passed.

use sigap::store::testing;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn a_failure_on_one_store_still_runs_and_reports_the_other() {
    let ran = Arc::new(Mutex::new(Vec::new()));
    let seen = ran.clone();
    let outcome = tokio::spawn(testing::for_each_store(move |store| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(store.kind());
            store.ping().await.expect("the store answers");
            assert_eq!(store.kind(), "postgis", "deliberate failure on the GeoPackage");
        }
    }))
    .await;
    assert_eq!(*ran.lock().unwrap(), ["geopackage", "postgis"], "the PostGIS case ran after the GeoPackage one failed");
    let err = outcome.expect_err("a failure on one store fails the test");
    let payload = err.into_panic();
    let msg = payload.downcast_ref::<String>().expect("a formatted panic message");
    assert!(msg.contains("failed on 1 of 2 stores"), "{msg}");
    assert!(msg.contains("geopackage: ") && msg.contains("deliberate failure on the GeoPackage"), "{msg}");
    assert!(msg.contains(r#"passed: ["postgis"]"#), "{msg}");
}

#[tokio::test]
async fn a_case_passing_on_both_stores_passes() {
    let ran = Arc::new(Mutex::new(Vec::new()));
    let seen = ran.clone();
    testing::for_each_store(move |store| {
        let seen = seen.clone();
        async move {
            store.ping().await.expect("the store answers");
            seen.lock().unwrap().push(store.kind());
        }
    })
    .await;
    assert_eq!(*ran.lock().unwrap(), ["geopackage", "postgis"]);
}
