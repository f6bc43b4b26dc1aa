//! The HTTP API of the atlas, good and bad input side by side, on both stores.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::store::testing;
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

async fn app(store: sigap::store::Store) -> axum::Router {
    let atlas = atlas(&store).await;
    api::router(AppState { store, atlas: AtlasHandle::new(atlas), config: Arc::new(Config::default()) })
}

async fn call(app: &axum::Router, method: &str, uri: &str, body: Option<String>) -> (StatusCode, String, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let res = app.clone().oneshot(req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let ctype = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

fn assert_problem(r: &(StatusCode, String, serde_json::Value), status: u16, field: Option<&str>) {
    assert_eq!(r.0.as_u16(), status, "{:?}", r.2);
    assert_eq!(r.1, "application/problem+json");
    assert_eq!(r.2["status"], status);
    if let Some(f) = field {
        assert_eq!(r.2["field"], f, "{:?}", r.2);
    }
}

#[tokio::test]
async fn wilayah_and_locate_on_both_stores() {
    for store in testing::both().await {
        load_shipped(&store, Level::Rw).await;
        let app = app(store.clone()).await;

        let h = call(&app, "GET", "/healthz", None).await;
        assert_eq!(h.0, StatusCode::OK);
        assert_eq!(h.2["areas"]["kelurahan"], 267);
        assert_eq!(h.2["store"], store.kind());

        let l = call(&app, "GET", "/api/v1/wilayah?level=kecamatan&parent=31.71", None).await;
        assert_eq!(l.0, StatusCode::OK);
        assert_eq!(l.2["count"], 8, "Jakarta Pusat has 8 kecamatan");
        let rw = call(&app, "GET", "/api/v1/wilayah?level=rw&parent=31.71.01.1001", None).await;
        assert_eq!(rw.2["generated"], true);
        assert!(rw.2["count"].as_u64().unwrap() >= 1);

        let f = call(&app, "GET", "/api/v1/wilayah/31.71.01.1001", None).await;
        assert_eq!(f.0, StatusCode::OK);
        assert_eq!(f.2["type"], "Feature");
        assert_eq!(f.2["properties"]["nama"], "Gambir");
        assert_eq!(f.2["properties"]["induk_rantai"][0]["kode"], "31.71");
        assert_eq!(f.2["properties"]["induk_rantai"][1]["kode"], "31.71.01");
        assert_eq!(f.2["geometry"]["type"], "MultiPolygon");

        let g = call(&app, "GET", "/api/v1/locate?lon=106.8272&lat=-6.1754", None).await;
        assert_eq!(g.0, StatusCode::OK);
        assert_eq!(g.2["kelurahan"]["nama"], "Gambir");
        assert_eq!(g.2["method"], "inside");

        // Tangerang (BSD) is outside; open sea far north too.
        let t = call(&app, "GET", "/api/v1/locate?lon=106.6530&lat=-6.3010", None).await;
        assert_eq!(t.2["method"], "outside");
        assert!(t.2["distance_m"].as_f64().unwrap() > 250.0);

        let b = call(&app, "POST", "/api/v1/locate", Some(r#"{"points":[{"id":"a","lon":106.8272,"lat":-6.1754},{"id":7,"lon":106.8206,"lat":-6.3125}]}"#.into())).await;
        assert_eq!(b.0, StatusCode::OK);
        assert_eq!(b.2["count"], 2);
        assert_eq!(b.2["results"][0]["id"], "a");
        assert_eq!(b.2["results"][1]["kelurahan"]["nama"], "Ragunan");
    }
}

#[tokio::test]
async fn bad_input_gets_a_problem_naming_the_field() {
    let store = testing::gpkg().await;
    load_shipped(&store, Level::Kelurahan).await;
    let app = app(store).await;
    assert_problem(&call(&app, "GET", "/api/v1/locate?lon=abc&lat=-6.2", None).await, 400, Some("lon"));
    assert_problem(&call(&app, "GET", "/api/v1/locate?lon=106.8", None).await, 400, Some("lat"));
    assert_problem(&call(&app, "GET", "/api/v1/locate?lon=NaN&lat=-6.2", None).await, 400, Some("lon"));
    assert_problem(&call(&app, "GET", "/api/v1/locate?lon=inf&lat=-6.2", None).await, 400, Some("lon"));
    assert_problem(&call(&app, "GET", "/api/v1/locate?lon=106.8&lat=-96.2", None).await, 400, Some("lat"));
    assert_problem(&call(&app, "GET", "/api/v1/wilayah/31.71.99.9999", None).await, 404, Some("code"));
    assert_problem(&call(&app, "GET", "/api/v1/wilayah/not-a-code", None).await, 400, Some("code"));
    assert_problem(&call(&app, "GET", "/api/v1/wilayah?level=desa", None).await, 400, Some("level"));
    assert_problem(&call(&app, "GET", "/api/v1/wilayah?level=kelurahan&parent=31.79", None).await, 404, Some("parent"));
    assert_problem(&call(&app, "POST", "/api/v1/locate", Some("{not json".into())).await, 400, None);
    assert_problem(&call(&app, "POST", "/api/v1/locate", Some(r#"{"points":[{"lon":106.8}]}"#.into())).await, 422, None);
    assert_problem(
        &call(&app, "POST", "/api/v1/locate", Some(r#"{"points":[{"lon":106.8,"lat":-6.2},{"lon":106.8,"lat":-91}]}"#.into())).await,
        400,
        Some("points[1].lat"),
    );
    let many = serde_json::json!({"points": vec![serde_json::json!({"lon": 106.8, "lat": -6.2}); 10_001]});
    assert_problem(&call(&app, "POST", "/api/v1/locate", Some(many.to_string())).await, 413, Some("points"));
    let huge = format!(r#"{{"points":[],"pad":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    assert_problem(&call(&app, "POST", "/api/v1/locate", Some(huge)).await, 413, None);
    assert_problem(&call(&app, "GET", "/api/v1/nope", None).await, 404, None);
    let doc = call(&app, "GET", "/api-docs/openapi.json", None).await;
    assert_eq!(doc.0, StatusCode::OK);
    assert!(doc.2["paths"]["/api/v1/locate"]["post"].is_object());
}
