//! `GET /api/v1/search` on the shipped atlas, both stores: names found exactly, misspelt and
//! abbreviated; a coordinate answered with the areas containing it; bad queries as problems.

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

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, serde_json::Value) {
    let res = app.clone().oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
}

fn first_name(v: &serde_json::Value) -> String {
    v["results"][0]["nama"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn search_finds_kelurahan_by_misspelt_and_abbreviated_names_and_by_coordinate() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let app = api::router(AppState::new(store, AtlasHandle::new(atlas), Arc::new(Config::default())));

        for q in ["Kebon%20Kacang", "kebon%20kacang", "kb%20kacang", "kebon%20kacng", "kebn%20kacang", "kebon%20kac"] {
            let (s, v) = get(&app, &format!("/api/v1/search?q={q}")).await;
            assert_eq!(s, StatusCode::OK, "{q}: {v}");
            assert_eq!(first_name(&v), "Kebon Kacang", "{q}: {v}");
            assert_eq!(v["results"][0]["level"], "kelurahan");
            assert_eq!(v["kind"], "name");
        }
        let (_, v) = get(&app, "/api/v1/search?q=kebon%20kacang").await;
        assert_eq!(v["results"][0]["parents"][0], "Tanah Abang");
        let c = &v["results"][0]["center"];
        assert!(c[0].as_f64().unwrap() > 106.7 && c[1].as_f64().unwrap() < -6.1, "{c}");
        // Misspelt kelurahan, kecamatan and kota.
        assert_eq!(first_name(&get(&app, "/api/v1/search?q=cikni").await.1), "Cikini");
        assert_eq!(first_name(&get(&app, "/api/v1/search?q=menteng%20dalem").await.1), "Menteng Dalam");
        assert_eq!(first_name(&get(&app, "/api/v1/search?q=jakarta%20pusat").await.1), "Kota Administrasi Jakarta Pusat");
        // limit bounds the answer.
        let (_, v) = get(&app, "/api/v1/search?q=kebon&limit=2").await;
        assert_eq!(v["results"].as_array().unwrap().len(), 2);
        // Nothing like it.
        let (s, v) = get(&app, "/api/v1/search?q=xqzzv").await;
        assert_eq!((s, v["results"].as_array().unwrap().len()), (StatusCode::OK, 0));

        // A coordinate (lat, lon as maps copy it, or lon lat): the areas containing it, finest first.
        for q in ["-6.1754,%20106.8272", "106.8272%20-6.1754"] {
            let (s, v) = get(&app, &format!("/api/v1/search?q={q}")).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(v["kind"], "coordinate");
            let levels: Vec<&str> = v["results"].as_array().unwrap().iter().map(|h| h["level"].as_str().unwrap()).collect();
            assert_eq!(levels, ["kelurahan", "kecamatan", "kota"], "{v}");
            assert_eq!(first_name(&v), "Gambir");
        }
        let (s, v) = get(&app, "/api/v1/search?q=-7.8,110.36").await;
        assert_eq!((s, v["results"].as_array().unwrap().len()), (StatusCode::OK, 0), "Yogyakarta is not in the atlas");

        // Bad queries name the field.
        for (uri, status, field) in [
            ("/api/v1/search", 400, "q"),
            ("/api/v1/search?q=", 422, "q"),
            ("/api/v1/search?q=%20%20", 422, "q"),
            ("/api/v1/search?q=kebon%00", 422, "q"),
            ("/api/v1/search?q=kebon&limit=0", 400, "limit"),
            ("/api/v1/search?q=kebon&limit=51", 400, "limit"),
            ("/api/v1/search?q=kebon&limit=x", 400, "limit"),
            ("/api/v1/search?q=kebon&lmit=3", 400, "lmit"),
            ("/api/v1/search?q=-6.2,200", 400, "lon"),
        ] {
            let (s, v) = get(&app, uri).await;
            assert_eq!(s.as_u16(), status, "{uri}: {v}");
            assert_eq!(v["field"], field, "{uri}: {v}");
        }
        let long = "a".repeat(101);
        let (s, v) = get(&app, &format!("/api/v1/search?q={long}")).await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (422, Some("q")));
    })
    .await;
}
