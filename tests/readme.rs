//! The README's endpoint table lists every operation of the OpenAPI document the app serves, so
//! a new route cannot be added without telling the reader.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::store::testing;
use sigap::wilayah::{Atlas, AtlasHandle};
use std::sync::Arc;
use tower::ServiceExt;

#[tokio::test]
async fn readme_lists_every_route() {
    let store = testing::gpkg().await;
    let state = AppState::new(store, AtlasHandle::new(Atlas::new(vec![], Default::default())), Arc::new(Config::default()));
    let res = api::router(state).oneshot(Request::get("/api-docs/openapi.json").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            let entry = format!("`{} {path}", method.to_uppercase());
            if !readme.contains(&entry) {
                missing.push(entry);
            }
        }
    }
    assert!(missing.is_empty(), "README's HTTP API table lacks: {missing:?}");
}
