//! The editable unit list on both stores: seeded by load_demo, edited by admins, used by forwarding.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::store::{testing, tokens};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app.clone().oneshot(req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let st = res.status();
    (st, serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn units_are_seeded_edited_and_used_on_both_stores() {
    for store in testing::both().await {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        sigap::complaints::load_demo(&store, &atlas).await.unwrap();
        sigap::complaints::load_demo(&store, &atlas).await.unwrap();
        assert_eq!(sigap::complaints::store::stored_units(&store).await.unwrap().len(), 16, "idempotent seeding");
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let admin = tokens::create(&store, "admin", None, None).await.unwrap();
        let op = tokens::create(&store, "operator", Some("31.71.01.1001"), None).await.unwrap();

        let new = json!({"nama": "Dinas Cipta Karya, Tata Ruang dan Pertanahan", "jenis": "skpd"});
        assert_eq!(call(&app, "PUT", "/api/v1/complaint-units/dinas-citata", Some(&op), Some(new.clone())).await.0, StatusCode::FORBIDDEN);
        let r = call(&app, "PUT", "/api/v1/complaint-units/dinas-citata", Some(&admin), Some(new)).await;
        assert_eq!(r.0, StatusCode::OK, "{:?}", r.1);
        let bad = call(&app, "PUT", "/api/v1/complaint-units/x", Some(&admin), Some(json!({"nama": "X", "jenis": "dinas"}))).await;
        assert_eq!((bad.0, bad.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("jenis")));
        let bad = call(&app, "PUT", "/api/v1/complaint-units/31.71.01.1001", Some(&admin), Some(json!({"nama": "X", "jenis": "skpd"}))).await;
        assert_eq!((bad.0, bad.1["field"].as_str()), (StatusCode::BAD_REQUEST, Some("id")));
        let bad = call(&app, "PUT", "/api/v1/complaint-units/y", Some(&admin), Some(json!({"nama": "Y", "jenis": "skpd", "kanal": ["fax"]}))).await;
        // serde names the element (`kanal[0]`; before the typed body the problem said `kanal`).
        assert_eq!((bad.0, bad.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kanal[0]")));
        let bad = call(&app, "PUT", "/api/v1/complaint-units/y", Some(&admin), Some(json!({"nama": "Y", "jenis": "skpd", "warna": "biru"}))).await;
        assert_eq!((bad.0, bad.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("warna")));
        let bad = call(&app, "PUT", "/api/v1/complaint-units/y", Some(&admin), Some(json!({"nama": "Y\u{0}", "jenis": "skpd"}))).await;
        assert_eq!((bad.0, bad.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("nama")));

        let list = call(&app, "GET", "/api/v1/complaint-units", None, None).await;
        assert!(list.1.as_array().unwrap().iter().any(|u| u["id"] == "dinas-citata"));

        let c = call(&app, "POST", "/api/v1/complaints", None, Some(json!({"channel":"jaki","category":"lainnya","description":"Bangunan liar","location":{"lon":106.8272,"lat":-6.1754}}))).await;
        let id = c.1["id"].as_i64().unwrap();
        let f = call(&app, "POST", &format!("/api/v1/complaints/{id}/forward"), Some(&op), Some(json!({"unit":"dinas-citata","reason":"bukan_kewenangan"}))).await;
        assert_eq!(f.1["unit"], "dinas-citata", "{:?}", f.1);
        // A deactivated unit cannot receive.
        call(&app, "PUT", "/api/v1/complaint-units/dinas-lh", Some(&admin), Some(json!({"nama": "Dinas LH", "jenis": "skpd", "aktif": false}))).await;
        let f = call(&app, "POST", &format!("/api/v1/complaints/{id}/forward"), Some(&admin), Some(json!({"unit":"dinas-lh","reason":"bukan_kewenangan"}))).await;
        assert_eq!((f.0, f.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unit")));

        // The only owner of sms/email/social cannot be retired or stripped of its channels, and
        // nothing is written; once another unit owns sms, email and social still block.
        let units_before = sigap::complaints::store::stored_units(&store).await.unwrap();
        let retire = json!({"nama": "Diskominfotik", "jenis": "skpd", "kanal": ["sms", "email", "social"], "aktif": false});
        let r = call(&app, "PUT", "/api/v1/complaint-units/diskominfotik", Some(&admin), Some(retire.clone())).await;
        assert_eq!((r.0, r.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("aktif")), "{:?}", r.1);
        let strip = json!({"nama": "Diskominfotik", "jenis": "skpd", "kanal": ["email", "social"]});
        let r = call(&app, "PUT", "/api/v1/complaint-units/diskominfotik", Some(&admin), Some(strip)).await;
        assert_eq!((r.0, r.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kanal")), "{:?}", r.1);
        assert!(r.1["detail"].as_str().unwrap().contains("sms"), "{:?}", r.1);
        assert_eq!(sigap::complaints::store::stored_units(&store).await.unwrap(), units_before, "nothing written");
        let sms = json!({"nama": "Pusat SMS", "jenis": "ukpd", "kanal": ["sms"]});
        assert_eq!(call(&app, "PUT", "/api/v1/complaint-units/pusat-sms", Some(&admin), Some(sms)).await.0, StatusCode::OK);
        let r = call(&app, "PUT", "/api/v1/complaint-units/diskominfotik", Some(&admin), Some(retire)).await;
        assert_eq!((r.0, r.1["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("aktif")), "email and social still need it: {:?}", r.1);
    }
}
