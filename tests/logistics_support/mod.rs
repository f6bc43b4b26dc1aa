//! Helpers shared by the logistics test binaries: one request through the router, the problem
//! check naming a field, row counts. Each binary uses a part of them.
#![allow(dead_code)]

use super::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::store::Store;
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

pub type Res = (StatusCode, serde_json::Value);

pub async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, key: Option<&str>, body: Option<serde_json::Value>) -> Res {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = app.clone().oneshot(req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

pub fn problem(r: &Res, status: u16, field: &str) {
    assert_eq!(r.0.as_u16(), status, "{}", r.1);
    if field.is_empty() {
        assert!(r.1["field"].is_null(), "{}", r.1);
    } else {
        assert_eq!(r.1["field"], field, "{}", r.1);
    }
}

pub async fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query(&sql).fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() })
}

pub async fn app(store: &Store) -> axum::Router {
    load_shipped(store, Level::Kelurahan).await;
    let atlas = atlas(store).await;
    api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())))
}

/// A request with a raw body (photo bytes): status, body bytes, and whether it was a replay.
pub async fn call_raw(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, key: Option<&str>, body: Vec<u8>) -> (StatusCode, Vec<u8>, bool) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = res.status();
    let replayed = res.headers().contains_key("idempotent-replayed");
    (status, res.into_body().collect().await.unwrap().to_bytes().to_vec(), replayed)
}

/// Row counts of `tables`, to check that a refusal wrote nothing.
pub async fn counts(store: &Store, tables: &[&str]) -> Vec<i64> {
    let mut v = Vec::with_capacity(tables.len());
    for t in tables {
        v.push(count(store, t).await);
    }
    v
}

/// Today in Jakarta plus `days`, as YYYY-MM-DD (dates in requests are judged against it).
pub fn day(days: i64) -> String {
    (sigap::logistics::model::jakarta_today() + chrono::Duration::days(days)).format("%Y-%m-%d").to_string()
}

/// The id of the first approved collaborator in the one collaborator registry (the demo load
/// registers and approves three): what a pledge names as `kolaborator_id`.
pub async fn kolaborator_id(store: &Store) -> i64 {
    sigap::ksbb::store::kolaborators(store, Some("disetujui")).await.unwrap().first().expect("load_demo registers collaborators").id
}
