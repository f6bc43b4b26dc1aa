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
    api::router(AppState::new(store, AtlasHandle::new(atlas), Arc::new(Config::default())))
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
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let app = app(store.clone()).await;

        let h = call(&app, "GET", "/healthz", None).await;
        assert_eq!(h.0, StatusCode::OK);
        assert_eq!(h.2["areas"]["kelurahan"], 267);
        assert_eq!(h.2["store"], store.kind());

        let l = call(&app, "GET", "/api/v1/wilayah?level=kecamatan&parent=31.71", None).await;
        assert_eq!(l.0, StatusCode::OK);
        assert_eq!(l.2["count"], 8, "Jakarta Pusat has 8 kecamatan");
        // Gambir has real (2012) RW, Pulau Panggang (Kepulauan Seribu) generated ones.
        let rw = call(&app, "GET", "/api/v1/wilayah?level=rw&parent=31.71.01.1001", None).await;
        assert_eq!(rw.2["generated"], false);
        assert!(rw.2["count"].as_u64().unwrap() >= 1);
        // Each item says its source and year.
        assert!(rw.2["items"].as_array().unwrap().iter().all(|i| i["sumber"] == "inasafe-osm-2012" && i["tahun"] == 2012), "{}", rw.2);
        let rw = call(&app, "GET", "/api/v1/wilayah?level=rw&parent=31.01.01.1001", None).await;
        assert_eq!(rw.2["generated"], true);
        assert!(rw.2["items"].as_array().unwrap().iter().all(|i| i["sumber"] == "generated" && i["tahun"].is_null()), "{}", rw.2);
        let one = call(&app, "GET", "/api/v1/wilayah/31.71.01.1001.002", None).await;
        assert_eq!((&one.2["properties"]["sumber"], &one.2["properties"]["tahun"]), (&serde_json::json!("inasafe-osm-2012"), &serde_json::json!(2012)));

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
        let d = t.2["distance_m"].as_f64().unwrap();
        assert!(d > 250.0);
        assert_eq!(d, (d * 100.0).round() / 100.0, "distance to the cm: {d}");
        assert!(t.2["distance_m"].to_string().split('.').nth(1).is_none_or(|f| f.len() <= 2), "{}", t.2["distance_m"]);

        let b = call(&app, "POST", "/api/v1/locate", Some(r#"{"points":[{"id":"a","lon":106.8272,"lat":-6.1754},{"id":7,"lon":106.8206,"lat":-6.3125}]}"#.into())).await;
        assert_eq!(b.0, StatusCode::OK);
        assert_eq!(b.2["count"], 2);
        assert_eq!(b.2["results"][0]["id"], "a");
        assert_eq!(b.2["results"][1]["kelurahan"]["nama"], "Ragunan");
    })
    .await;
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
    // One rule for levels: required wherever an endpoint takes one (bansos/progress too).
    assert_problem(&call(&app, "GET", "/api/v1/wilayah", None).await, 400, Some("level"));
    assert_problem(&call(&app, "GET", "/api/v1/wilayah?parent=31.71", None).await, 400, Some("level"));
    assert_problem(&call(&app, "GET", "/api/v1/bansos/progress", None).await, 400, Some("level"));
    // lat-first input: out of range as given, in Jakarta once exchanged → the problem says so.
    let swapped = call(&app, "GET", "/api/v1/locate?lon=-6.1754&lat=106.8272", None).await;
    assert_problem(&swapped, 400, Some("lat"));
    assert!(swapped.2["detail"].as_str().unwrap().contains("look swapped"), "{:?}", swapped.2);
    let batch = call(&app, "POST", "/api/v1/locate", Some(r#"{"points":[{"lon":106.8,"lat":-6.2},{"lon":-6.2,"lat":106.8}]}"#.into())).await;
    assert_problem(&batch, 400, Some("points[1].lat"));
    assert!(batch.2["detail"].as_str().unwrap().contains("look swapped"), "{:?}", batch.2);
    // Out of range but not a swap (nowhere near Jakarta either way): no hint.
    let far = call(&app, "GET", "/api/v1/locate?lon=10&lat=-96.2", None).await;
    assert!(!far.2["detail"].as_str().unwrap().contains("swapped"), "{:?}", far.2);
    let doc = call(&app, "GET", "/api-docs/openapi.json", None).await;
    assert_eq!(doc.0, StatusCode::OK);
    assert!(doc.2["paths"]["/api/v1/locate"]["post"].is_object());
    assert_eq!(doc.2["info"]["title"], "sigap API");
    // The level rule is in the document too: `level` is a required query parameter on both.
    for path in ["/api/v1/wilayah", "/api/v1/bansos/progress"] {
        let params = doc.2["paths"][path]["get"]["parameters"].as_array().unwrap();
        let level = params.iter().find(|p| p["name"] == "level").unwrap_or_else(|| panic!("{path} documents no level"));
        assert_eq!(level["required"], true, "{path}: {level}");
    }
    // Swagger UI is vendored into the binary: it serves without internet.
    let ui = app.clone().oneshot(Request::builder().uri("/swagger-ui/").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(ui.status(), StatusCode::OK);
    let html = ui.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&html).contains("swagger-ui"));
}

#[tokio::test]
async fn boundary_edit_needs_admin_refreshes_the_atlas_and_is_audited() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let admin = sigap::store::tokens::create(&store, "admin", None, Some("test")).await.unwrap();
        let auditor = sigap::store::tokens::create(&store, "auditor", None, None).await.unwrap();
        let app = app(store.clone()).await;
        let put = |token: Option<String>, body: String| {
            let app = app.clone();
            async move {
                let mut req = Request::builder().method("PUT").uri("/api/v1/wilayah/31.71.01.1001").header("content-type", "application/json");
                if let Some(t) = token {
                    req = req.header("authorization", format!("Bearer {t}"));
                }
                let res = app.oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
                let status = res.status();
                let bytes = res.into_body().collect().await.unwrap().to_bytes();
                (status, serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default())
            }
        };
        // Gambir shrunk to a small square around Monas.
        let square = r#"{"nama":"Gambir","geometry":{"type":"Polygon","coordinates":[[[106.82,-6.18],[106.83,-6.18],[106.83,-6.17],[106.82,-6.17],[106.82,-6.18]]]}}"#;
        assert_eq!(put(None, square.into()).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(put(Some("sgp_nope".into()), square.into()).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(put(Some(auditor.clone()), square.into()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(put(Some(auditor.clone()), r#"{"geometry": 5, "bogus": 1}"#.into()).await.0, StatusCode::FORBIDDEN, "role before body");
        let swapped = r#"{"geometry":{"type":"Polygon","coordinates":[[[-6.18,106.82],[-6.18,106.83],[-6.17,106.83],[-6.18,106.82]]]}}"#;
        let bad = put(Some(admin.clone()), swapped.into()).await;
        assert_eq!(bad.0, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.1);
        assert_eq!(bad.1["field"], "geometry");
        let line = r#"{"geometry":{"type":"LineString","coordinates":[[106.82,-6.18],[106.83,-6.18]]}}"#;
        assert_eq!(put(Some(admin.clone()), line.into()).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        // Nothing changed so far: a point of Gambir east of the new square is still Gambir.
        let probe = "/api/v1/locate?lon=106.8330&lat=-6.1800";
        assert_eq!(call(&app, "GET", probe, None).await.2["kelurahan"]["nama"], "Gambir");
        let ok = put(Some(admin.clone()), square.into()).await;
        assert_eq!(ok.0, StatusCode::OK, "{:?}", ok.1);
        assert_ne!(call(&app, "GET", probe, None).await.2["kelurahan"]["nama"], "Gambir", "atlas not refreshed");
        let hist = sigap::store::audit::history(&store, "kelurahan", "31.71.01.1001").await.unwrap();
        assert_eq!(hist.len(), 2);
        assert_eq!(hist[1].action, "update");
        assert!(hist[1].actor.contains("admin"));
        assert!(hist[1].before.is_some() && hist[1].after.is_some());
    })
    .await;
}

/// Every error is problem+json: unknown routes inside and outside the API, a method a route does
/// not take, and a write to the web files — while the web page is still served at `/`.
#[tokio::test]
async fn unknown_routes_and_methods_are_problems_and_the_web_page_is_served() {
    let store = testing::gpkg().await;
    let app = app(store).await;
    let page = app.clone().oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let js = app.clone().oneshot(Request::get("/app.js").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);

    for uri in ["/nope", "/nope/deeper.html", "/api/v1/nope", "/api/nope", "/tiles/nope/1/2", "/open311/v2/nope"] {
        assert_problem(&call(&app, "GET", uri, None).await, 404, None);
    }
    for (method, uri, allow) in [("DELETE", "/api/v1/locate", "GET,HEAD,POST"), ("POST", "/healthz", "GET,HEAD"), ("PATCH", "/api/v1/wilayah/31.71", "GET,HEAD,PUT"), ("POST", "/index.html", "GET,HEAD"), ("PUT", "/", "GET,HEAD")] {
        let res = app.clone().oneshot(Request::builder().method(method).uri(uri).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        let mut got: Vec<String> = res.headers()["allow"].to_str().unwrap().split(',').map(|m| m.trim().to_string()).collect();
        got.sort();
        let mut want: Vec<&str> = allow.split(',').collect();
        want.sort();
        assert_eq!(got, want, "{method} {uri}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{method} {uri}");
        let body: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(body["status"], 405, "{method} {uri}");
    }
}

/// A 0.01° (≈ 1.1 km) square centred on (lon, lat), as GeoJSON coordinates of one polygon.
fn square_at(lon: f64, lat: f64) -> serde_json::Value {
    let d = 0.005;
    serde_json::json!([[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]])
}

#[tokio::test]
async fn boundary_edits_leaving_the_territory_are_refused_and_write_nothing() {
    testing::for_each_store(|store| async move {
        let kind = store.kind();
        load_shipped(&store, Level::Kelurahan).await;
        let admin = sigap::store::tokens::create(&store, "admin", None, Some("test")).await.unwrap();
        let app = app(store.clone()).await;
        let put = |code: &'static str, body: serde_json::Value| {
            let (app, admin) = (app.clone(), admin.clone());
            async move {
                let req = Request::builder()
                    .method("PUT")
                    .uri(format!("/api/v1/wilayah/{code}"))
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {admin}"))
                    .body(Body::from(body.to_string()))
                    .unwrap();
                let res = app.oneshot(req).await.unwrap();
                let status = res.status();
                let ctype = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                let bytes = res.into_body().collect().await.unwrap().to_bytes();
                (status, ctype, serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default())
            }
        };
        let feature = call(&app, "GET", "/api/v1/wilayah/31.75.06.1001", None).await;
        assert_eq!(feature.0, StatusCode::OK, "{kind}");
        let old = feature.2["geometry"].clone();
        let rev0 = sigap::store::boundaries::revision(&store).await.unwrap();
        let audits0 = sigap::store::audit::history(&store, "kelurahan", "31.75.06.1001").await.unwrap().len();
        // Each place as the whole new boundary and as an extra part glued to the old one (which
        // keeps the old footprint, so only the territory can refuse it).
        for (place, lon, lat) in [("Bekasi", 107.00, -6.24), ("Depok", 106.82, -6.40), ("Tangerang", 106.63, -6.18), ("the sea", 106.85, -6.00)] {
            let mut parts: Vec<serde_json::Value> = old["coordinates"].as_array().unwrap().clone();
            parts.push(square_at(lon, lat));
            for geometry in [serde_json::json!({"type": "Polygon", "coordinates": square_at(lon, lat)}), serde_json::json!({"type": "MultiPolygon", "coordinates": parts})] {
                let r = put("31.75.06.1001", serde_json::json!({ "geometry": geometry })).await;
                assert_problem(&r, 422, Some("geometry"));
                let detail = r.2["detail"].as_str().unwrap_or_default();
                assert!(detail.contains("outside DKI Jakarta"), "{place} on {kind}: {detail}");
            }
        }
        // Inside Jakarta but far outside its kecamatan (Cakung → Gambir), and a move inside its
        // kecamatan to ground it never covered.
        let r = put("31.75.06.1001", serde_json::json!({"geometry": {"type": "Polygon", "coordinates": square_at(106.8272, -6.1754)}})).await;
        assert_problem(&r, 422, Some("geometry"));
        assert!(r.2["detail"].as_str().unwrap().contains("outside its kecamatan 31.75.06"), "{kind}: {:?}", r.2);
        // Unknown fields are refused too (a typo must not be silently dropped).
        assert_problem(&put("31.75.06.1001", serde_json::json!({"geometry": old, "nama_baru": "x"})).await, 422, None);
        // Nothing was written by any refusal.
        assert_eq!(sigap::store::boundaries::revision(&store).await.unwrap(), rev0, "{kind}");
        assert_eq!(sigap::store::audit::history(&store, "kelurahan", "31.75.06.1001").await.unwrap().len(), audits0, "{kind}");
        assert_eq!(call(&app, "GET", "/api/v1/wilayah/31.75.06.1001", None).await.2["geometry"], old, "{kind}");

        // A legitimate small edit: the same boundary with one vertex moved ≈ 30 m.
        let mut edited = old.clone();
        let v = &mut edited["coordinates"][0][0][1];
        v[0] = serde_json::json!(v[0].as_f64().unwrap() + 0.0003);
        let ok = put("31.75.06.1001", serde_json::json!({ "geometry": edited })).await;
        assert_eq!(ok.0, StatusCode::OK, "{kind}: {:?}", ok.2);
        assert_eq!(sigap::store::boundaries::revision(&store).await.unwrap(), rev0 + 1, "{kind}");
        assert_eq!(sigap::store::audit::history(&store, "kelurahan", "31.75.06.1001").await.unwrap().len(), audits0 + 1, "{kind}");
    })
    .await;
}
