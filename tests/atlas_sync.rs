//! Several sigap processes on one store stay consistent: a boundary edit or a bansos write made
//! through one process's router is seen by another's atlas (`/locate`), tile cache and progress
//! cache. Each "process" is an AppState over its own pool on the same database (PostGIS) or file
//! (GeoPackage), with the revision poller running as `sigap serve` runs it.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::bansos::{model, ops, store as bstore};
use sigap::store::{testing, Store};
use sigap::tiles::tile::{to_world, TileId};
use sigap::wilayah::{AreaCode, AtlasHandle, Level};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, body: Option<String>) -> (StatusCode, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app.clone().oneshot(req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

async fn json(app: &axum::Router, uri: &str) -> serde_json::Value {
    let (s, b) = call(app, "GET", uri, None, None).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&b));
    serde_json::from_slice(&b).unwrap()
}

/// One sigap process: its own pool, atlas, caches and poller.
async fn process(store: Store) -> (axum::Router, tokio::task::JoinHandle<()>) {
    let atlas = atlas(&store).await;
    let state = AppState::new(store, AtlasHandle::new(atlas), Arc::new(Config { atlas_poll_ms: 100, ..Config::default() }));
    let poller = state.spawn_atlas_sync();
    (api::router(state), poller)
}

/// Polls `check` every 50 ms for up to 10 s (bounded; no tighter wall-clock claim).
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not seen within 10 s: {what}");
}

const RW: &str = "31.71.01.1001.001";

#[tokio::test]
async fn an_edit_on_one_process_reaches_the_others_atlas_tiles_and_progress() {
    for store in testing::both().await {
        let kind = store.kind();
        load_shipped(&store, Level::Rw).await;
        let atlas0 = atlas(&store).await;
        let known = |c: &AreaCode| atlas0.get(c).is_some();
        let (targets, _) = model::parse_targets(&format!("rw,target_kk\n{RW},50\n"), &known).unwrap();
        let mut tx = bstore::begin_write(&store).await.unwrap();
        ops::import_targets(&mut tx, &targets, false, "test", &|_| {}).await.unwrap();
        tx.commit().await.unwrap();
        let admin = sigap::store::tokens::create(&store, "admin", None, None).await.unwrap();

        let (a, poll_a) = process(store.clone()).await;
        let (b, poll_b) = process(testing::reopen(&store).await).await;

        // B warms its caches: Gambir at the probe point, a tile over it, RW progress.
        let probe = "/api/v1/locate?lon=106.8330&lat=-6.1800";
        assert_eq!(json(&b, probe).await["kelurahan"]["nama"], "Gambir", "{kind}");
        let (x, y) = to_world(106.8330, -6.1800);
        let t = TileId { z: 14, x: (x * 16384.0) as u32, y: (y * 16384.0) as u32 };
        let tile_uri = format!("/tiles/kelurahan/{}/{}/{}.mvt", t.z, t.x, t.y);
        let (s, tile_before) = call(&b, "GET", &tile_uri, None, None).await;
        assert_eq!(s, StatusCode::OK, "{kind}");
        let progress_uri = "/api/v1/bansos/progress?level=rw&parent=31.71.01.1001";
        assert_eq!(json(&b, progress_uri).await["areas"][RW]["packages_received"], 0, "{kind}");

        // A shrinks Gambir to a square around Monas (east of it is no longer Gambir).
        let square = r#"{"nama":"Gambir","geometry":{"type":"Polygon","coordinates":[[[106.82,-6.18],[106.83,-6.18],[106.83,-6.17],[106.82,-6.17],[106.82,-6.18]]]}}"#;
        let (s, body) = call(&a, "PUT", "/api/v1/wilayah/31.71.01.1001", Some(&admin), Some(square.into())).await;
        assert_eq!(s, StatusCode::OK, "{kind}: {}", String::from_utf8_lossy(&body));
        assert_ne!(json(&a, probe).await["kelurahan"]["nama"], "Gambir", "{kind}: the writer sees its edit at once");
        eventually(&format!("{kind}: B's locate after A's edit"), async || json(&b, probe).await["kelurahan"]["nama"] != "Gambir").await;
        eventually(&format!("{kind}: B's tile after A's edit"), async || call(&b, "GET", &tile_uri, None, None).await.1 != tile_before).await;

        // A records a delivery; B's progress shows it (its cache is keyed by the revision).
        let planner = sigap::store::tokens::create(&store, "planner", None, None).await.unwrap();
        let delivery = serde_json::json!({"rw": RW, "date": "2026-11-20", "provider": "Penyedia Uji", "bast_ref": "BAST/UJI/1",
            "packages_sent": 40, "packages_received": 37, "packages_damaged": 2, "packages_short": 1, "packages_returned": 3});
        let (s, body) = call(&a, "POST", "/api/v1/bansos/deliveries", Some(&planner), Some(delivery.to_string())).await;
        assert_eq!(s, StatusCode::CREATED, "{kind}: {}", String::from_utf8_lossy(&body));
        eventually(&format!("{kind}: B's progress after A's delivery"), async || json(&b, progress_uri).await["areas"][RW]["packages_received"] == 37).await;

        // And the other way round: an edit through B reaches A.
        let back = r#"{"nama":"Gambir Lama","geometry":{"type":"Polygon","coordinates":[[[106.82,-6.18],[106.83,-6.18],[106.83,-6.17],[106.82,-6.17],[106.82,-6.18]]]}}"#;
        let (s, _) = call(&b, "PUT", "/api/v1/wilayah/31.71.01.1001", Some(&admin), Some(back.into())).await;
        assert_eq!(s, StatusCode::OK, "{kind}");
        eventually(&format!("{kind}: A's atlas after B's rename"), async || {
            json(&a, "/api/v1/locate?lon=106.8250&lat=-6.1750").await["kelurahan"]["nama"] == "Gambir Lama"
        })
        .await;
        poll_a.abort();
        poll_b.abort();
    }
}
