//! OGC API – Features Part 4 on both stores: create, replace, update (merge patch) and delete of
//! kelurahan/RW boundaries through the same checks, audit and atlas refresh as the native API,
//! with optimistic locking (ETag / If-Match: two editors never silently overwrite each other),
//! and every bad request refused by name with nothing written.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::store::{audit, testing, Store};
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    etag: Option<String>,
    location: Option<String>,
    body: Value,
}

async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, if_match: Option<&str>, body: Option<Value>) -> Answer {
    let mut req = Request::builder().method(method).uri(uri).header("host", "ogc.test");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(m) = if_match {
        req = req.header("if-match", m);
    }
    if body.is_some() {
        req = req.header("content-type", if method == "PATCH" { "application/merge-patch+json" } else { "application/geo+json" });
    }
    let res = app.clone().oneshot(req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let h = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (etag, location) = (h("etag"), h("location"));
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Answer { status, etag, location, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
}

async fn audit_rows(store: &Store, entity: &str, id: &str) -> usize {
    audit::history(store, entity, id).await.unwrap().len()
}

const GAMBIR: &str = "/ogc/collections/kelurahan/items/31.71.01.1001";

#[tokio::test]
async fn create_replace_update_delete_with_etags_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        sigap::bansos::load_demo(&store, &atlas, &|_, _| {}).await.unwrap();
        let state = AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default()));
        let app = api::router(state.clone());
        let admin = sigap::store::tokens::create(&store, "admin", None, None).await.unwrap();
        let planner = sigap::store::tokens::create(&store, "planner", None, None).await.unwrap();
        let conf = call(&app, "GET", "/ogc/conformance", None, None, None).await.body;
        assert!(conf["conformsTo"].as_array().unwrap().iter().any(|c| c == "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags"));

        // Two editors read Gambir: same ETag.
        let a = call(&app, "GET", GAMBIR, None, None, None).await;
        let b = call(&app, "GET", GAMBIR, None, None, None).await;
        let tag = a.etag.clone().expect("ETag on an editable feature");
        assert_eq!(b.etag.as_deref(), Some(tag.as_str()));
        assert!(call(&app, "GET", "/ogc/collections/kota/items/31.71", None, None, None).await.etag.is_none(), "read-only: no ETag");
        let shrunk = json!({"type": "Feature", "properties": {"nama": "Gambir"}, "geometry": square(106.82, -6.18, 106.83, -6.17)});

        // Refusals before anything is written.
        let before = audit_rows(&store, "kelurahan", "31.71.01.1001").await;
        for (token, m, status, field) in [
            (None, Some(tag.as_str()), StatusCode::UNAUTHORIZED, None),
            (Some(planner.as_str()), Some(tag.as_str()), StatusCode::FORBIDDEN, None),
            (Some(admin.as_str()), None, StatusCode::PRECONDITION_REQUIRED, Some("If-Match")),
            (Some(admin.as_str()), Some("*"), StatusCode::PRECONDITION_REQUIRED, Some("If-Match")),
            (Some(admin.as_str()), Some("\"0000\""), StatusCode::PRECONDITION_FAILED, Some("If-Match")),
        ] {
            let r = call(&app, "PUT", GAMBIR, token, m, Some(shrunk.clone())).await;
            assert_eq!(r.status, status, "{m:?}: {}", r.body);
            if let Some(f) = field {
                assert_eq!(r.body["field"], f, "{}", r.body);
            }
        }
        for (body, field) in [
            (json!({"type": "FeatureCollection", "features": []}), "type"),
            (json!({"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [106.825, -6.175]}}), "geometry"),
            (json!({"type": "Feature", "properties": {}, "geometry": square(-6.18, 106.82, -6.17, 106.83)}), "geometry"),
            (json!({"type": "Feature", "properties": {}, "geometry": square(107.5, -6.18, 107.51, -6.17)}), "geometry"),
            (json!({"type": "Feature", "properties": {"warna": "merah"}, "geometry": square(106.82, -6.18, 106.83, -6.17)}), "properties.warna"),
            (json!({"type": "Feature", "properties": {"kode": "31.71.01.1002"}, "geometry": square(106.82, -6.18, 106.83, -6.17)}), "properties.kode"),
            (json!({"type": "Feature", "properties": {"nama": "Gam\u{0}bir"}, "geometry": square(106.82, -6.18, 106.83, -6.17)}), "properties.nama"),
        ] {
            let r = call(&app, "PUT", GAMBIR, Some(&admin), Some(&tag), Some(body.clone())).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.body);
            assert_eq!(r.body["field"], field, "{body}: {}", r.body);
        }
        let swapped = call(&app, "PUT", GAMBIR, Some(&admin), Some(&tag), Some(json!({"type": "Feature", "geometry": square(-6.18, 106.82, -6.17, 106.83)}))).await;
        assert!(swapped.body["detail"].as_str().unwrap().to_lowercase().contains("swap") || swapped.body["detail"].as_str().unwrap().contains("lat"), "{}", swapped.body);
        assert_eq!(call(&app, "PUT", "/ogc/collections/kota/items/31.71", Some(&admin), Some(&tag), Some(shrunk.clone())).await.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(call(&app, "POST", "/ogc/collections/pengaduan/items", Some(&admin), None, Some(shrunk.clone())).await.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(audit_rows(&store, "kelurahan", "31.71.01.1001").await, before, "nothing written by a refusal");
        assert_eq!(call(&app, "GET", GAMBIR, None, None, None).await.etag.as_deref(), Some(tag.as_str()));

        // Editor A replaces; the atlas (locate) and the feature follow; audited.
        let r = call(&app, "PUT", GAMBIR, Some(&admin), Some(&tag), Some(shrunk.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let tag2 = r.etag.clone().unwrap();
        assert_ne!(tag2, tag);
        assert_eq!(audit_rows(&store, "kelurahan", "31.71.01.1001").await, before + 1);
        let here = call(&app, "GET", "/api/v1/locate?lon=106.8330&lat=-6.1800", None, None, None).await.body;
        assert_ne!(here["kelurahan"]["kode"], "31.71.01.1001", "the atlas was refreshed: {here}");
        // Editor B still holds the old ETag: 412, nothing overwritten.
        let r = call(&app, "PUT", GAMBIR, Some(&admin), Some(&tag), Some(json!({"type": "Feature", "properties": {"nama": "B's Gambir"}, "geometry": square(106.821, -6.179, 106.829, -6.171)}))).await;
        assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.body);
        assert_eq!(call(&app, "GET", GAMBIR, None, None, None).await.body["properties"]["nama"], "Gambir");

        // PATCH (merge patch) the name only; geometry kept; derived properties in the patch ignored.
        let r = call(&app, "PATCH", GAMBIR, Some(&admin), Some(&tag2), Some(json!({"properties": {"nama": "Gambir Baru", "served_kk": 99}}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["properties"]["nama"], "Gambir Baru");
        assert_eq!(r.body["geometry"], json!({"type": "MultiPolygon", "coordinates": [[[[106.82, -6.18], [106.83, -6.18], [106.83, -6.17], [106.82, -6.17], [106.82, -6.18]]]]}));
        let tag3 = r.etag.unwrap();
        assert_eq!(call(&app, "PATCH", GAMBIR, Some(&admin), Some(&tag2), Some(json!({"properties": {"nama": "x"}}))).await.status, StatusCode::PRECONDITION_FAILED);
        // The native API sees the same stored boundary.
        assert_eq!(call(&app, "GET", "/api/v1/wilayah/31.71.01.1001", None, None, None).await.body["properties"]["nama"], "Gambir Baru");

        // Create an RW inside (what is left of) Gambir; then delete it.
        let rw = json!({"type": "Feature", "properties": {"kode": "31.71.01.1001.099", "nama": "RW 099"}, "geometry": square(106.824, -6.176, 106.826, -6.174)});
        let r = call(&app, "POST", "/ogc/collections/rw/items", Some(&admin), None, Some(rw.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.location.as_deref(), Some("http://ogc.test/ogc/collections/rw/items/31.71.01.1001.099"));
        let rw_tag = r.etag.unwrap();
        assert_eq!(r.body["properties"]["generated"], false);
        assert_eq!(call(&app, "POST", "/ogc/collections/rw/items", Some(&admin), None, Some(rw.clone())).await.status, StatusCode::CONFLICT);
        for (body, field) in [
            (json!({"type": "Feature", "properties": {"nama": "x"}, "geometry": square(106.824, -6.176, 106.826, -6.174)}), "properties.kode"),
            (json!({"type": "Feature", "properties": {"kode": "31.71.01.1001", "nama": "x"}, "geometry": square(106.824, -6.176, 106.826, -6.174)}), "properties.kode"),
            (json!({"type": "Feature", "properties": {"kode": "31.71.01.1001.098", "nama": "x"}, "geometry": square(106.9, -6.3, 106.91, -6.29)}), "geometry"),
        ] {
            let r = call(&app, "POST", "/ogc/collections/rw/items", Some(&admin), None, Some(body.clone())).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.body);
            assert_eq!(r.body["field"], field, "{body}: {}", r.body);
        }
        assert_eq!(audit_rows(&store, "rw", "31.71.01.1001.098").await, 0);
        assert_eq!(call(&app, "DELETE", "/ogc/collections/rw/items/31.71.01.1001.099", Some(&admin), None, None).await.status, StatusCode::PRECONDITION_REQUIRED);
        assert_eq!(call(&app, "DELETE", "/ogc/collections/rw/items/31.71.01.1001.099", Some(&admin), Some(&tag3), None).await.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(call(&app, "DELETE", "/ogc/collections/rw/items/31.71.01.1001.099", Some(&admin), Some(&rw_tag), None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(call(&app, "GET", "/ogc/collections/rw/items/31.71.01.1001.099", None, None, None).await.status, StatusCode::NOT_FOUND);
        let trail: Vec<String> = audit::history(&store, "rw", "31.71.01.1001.099").await.unwrap().into_iter().map(|r| r.action).collect();
        assert_eq!(trail, ["create", "delete"]);

        // Deletes refused while something depends on the feature.
        let rw1 = call(&app, "GET", "/ogc/collections/rw/items/31.71.01.1001.001", None, None, None).await;
        let r = call(&app, "DELETE", "/ogc/collections/rw/items/31.71.01.1001.001", Some(&admin), rw1.etag.as_deref(), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "an RW with bansos records: {}", r.body);
        let r = call(&app, "DELETE", GAMBIR, Some(&admin), Some(&tag3), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "a kelurahan with RW: {}", r.body);
        assert_eq!(call(&app, "GET", "/ogc/collections/rw/items/31.71.01.1001.001", None, None, None).await.status, StatusCode::OK);
    })
    .await;
}
