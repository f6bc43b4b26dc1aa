//! Photo attachments through the local attachment store, on both stores.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::Value;
use sigap::api::{self, AppState, Config};
use sigap::store::{testing, tokens};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let st = res.status();
    (st, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::test]
async fn photos_are_stored_served_and_bad_ones_refused_on_both_stores() {
    let dir = std::env::temp_dir().join(format!("sigap_photos_{}", std::process::id()));
    std::env::set_var("SIGAP_ATTACHMENTS_DIR", &dir);
    for store in testing::both().await {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let op = tokens::create(&store, "operator", Some("31.71.01.1001"), None).await.unwrap();
        let other = tokens::create(&store, "operator", Some("dinas-sda"), None).await.unwrap();
        let c = call(&app, "POST", "/api/v1/complaints", None, br#"{"channel":"jaki","category":"sampah","description":"Sampah","location":{"lon":106.8272,"lat":-6.1754}}"#.to_vec()).await;
        let id = serde_json::from_slice::<Value>(&c.1).unwrap()["id"].as_i64().unwrap();

        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend(store.kind().as_bytes());
        let p = call(&app, "POST", &format!("/api/v1/complaints/{id}/photos"), None, jpeg.clone()).await;
        assert_eq!(p.0, StatusCode::CREATED, "{}", String::from_utf8_lossy(&p.1));
        let pid = serde_json::from_slice::<Value>(&p.1).unwrap()["id"].as_i64().unwrap();
        let got = call(&app, "GET", &format!("/api/v1/complaints/{id}/photos/{pid}"), Some(&op), vec![]).await;
        assert_eq!((got.0, got.1), (StatusCode::OK, jpeg));
        assert_eq!(call(&app, "GET", &format!("/api/v1/complaints/{id}/photos/{pid}"), Some(&other), vec![]).await.0, StatusCode::FORBIDDEN);
        let v: Value = serde_json::from_slice(&call(&app, "GET", &format!("/api/v1/complaints/{id}"), Some(&op), vec![]).await.1).unwrap();
        assert_eq!(v["photos"].as_array().unwrap().len(), 1);

        let html = call(&app, "POST", &format!("/api/v1/complaints/{id}/photos"), None, b"<html>".to_vec()).await;
        assert_eq!(html.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let big = call(&app, "POST", &format!("/api/v1/complaints/{id}/photos"), None, vec![0xFF; 2 * 1024 * 1024]).await;
        assert_eq!(big.0, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(call(&app, "POST", "/api/v1/complaints/9999/photos", None, vec![0xFF, 0xD8, 0xFF]).await.0, StatusCode::NOT_FOUND);
        for i in 0..4u8 {
            assert_eq!(call(&app, "POST", &format!("/api/v1/complaints/{id}/photos"), None, vec![0xFF, 0xD8, 0xFF, i]).await.0, StatusCode::CREATED);
        }
        let sixth = call(&app, "POST", &format!("/api/v1/complaints/{id}/photos"), None, vec![0xFF, 0xD8, 0xFF, 9]).await;
        assert_eq!(sixth.0, StatusCode::CONFLICT);
        assert_eq!(sigap::complaints::store::attachments(&store, id).await.unwrap().len(), 5);
    }
}
