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

const SITES: &str = "/ogc/collections/lokasi_umkm/items";
const MONAS: (f64, f64) = (106.8272, -6.1754);

fn site_feature(kode: &str, lon: f64, lat: f64) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"kode": kode, "nama": "Lokbin Uji", "jenis": "lokbin", "kapasitas": 40, "sumber": "uji (generated)",
            "pj_nama": "Pak Penanggung Jawab", "pj_telepon": "0811-1111-2222"}})
}

/// Sites stored and audit entries written for sites: what a refused write must leave alone.
async fn site_rows(store: &Store) -> (i64, i64) {
    let (sites, _) = sigap::ksbb::store::counts(store).await.unwrap();
    let audit = sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'ksbb_site'").fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() });
    (sites, audit)
}

/// The KSBB sites (`lokasi_umkm`) through Part 4 on both stores: create → update (PUT, a move) →
/// merge patch → stale If-Match (412) → delete (the site is retired, as the native API does),
/// every write through `ksbb::ops` (place checks, audit history, version = ETag shared with
/// `/api/v1/ksbb/sites`), and each bad input refused by name with nothing written.
#[tokio::test]
async fn ksbb_sites_create_update_delete_with_etags_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let citata = sigap::store::tokens::create(&store, "citata", None, None).await.unwrap();
        let planner = sigap::store::tokens::create(&store, "planner", None, None).await.unwrap();
        let kind = store.kind();
        assert_eq!(call(&app, "GET", SITES, None, None, None).await.body["numberMatched"], 0, "{kind}");

        // Refused creates: each names the part at fault (the place checks keep the native type).
        let good = site_feature("LOKBIN-OGC-1", MONAS.0, MONAS.1);
        let with = |path: &[&str], v: Value| {
            let mut f = good.clone();
            let mut at = &mut f;
            for p in &path[..path.len() - 1] {
                at = &mut at[*p];
            }
            at[path[path.len() - 1]] = v;
            f
        };
        let point = |lon: f64, lat: f64| json!({"type": "Point", "coordinates": [lon, lat]});
        let none = site_rows(&store).await;
        let no_token = call(&app, "POST", SITES, None, None, Some(good.clone())).await;
        assert_eq!(no_token.status, StatusCode::UNAUTHORIZED, "{kind}: {}", no_token.body);
        assert_eq!(call(&app, "POST", SITES, Some(&planner), None, Some(good.clone())).await.status, StatusCode::FORBIDDEN, "{kind}");
        for (body, field, slug) in [
            (json!({"type": "FeatureCollection", "features": [good.clone()]}), "type", ""),
            (json!([1, 2]), "type", ""),
            (with(&["geometry"], square(106.82, -6.18, 106.83, -6.17)), "geometry", ""),
            (with(&["geometry"], Value::Null), "geometry", ""),
            (with(&["geometry"], point(MONAS.1, MONAS.0)), "geometry", "coordinates-swapped"),
            (with(&["geometry"], point(106.82, -6.40)), "geometry", "site-outside-jakarta"),
            (with(&["geometry"], point(106.85, -6.03)), "geometry", "site-at-sea"),
            (with(&["geometry"], point(106.45, -5.75)), "geometry", "site-at-sea"),
            (with(&["properties", "warna"], json!("merah")), "properties.warna", ""),
            (with(&["properties", "jenis"], json!("pasar")), "properties.jenis", ""),
            (with(&["properties", "kapasitas"], json!("banyak")), "properties.kapasitas", ""),
            (with(&["properties", "kapasitas"], json!(-1)), "properties.kapasitas", ""),
            (with(&["properties", "nama"], json!("Lok\u{0}bin")), "properties.nama", ""),
            (with(&["properties", "nama"], Value::Null), "properties.nama", ""),
            (with(&["properties", "kode"], json!("a b")), "properties.kode", ""),
            (with(&["properties", "kode"], Value::Null), "properties.kode", ""),
            (with(&["id"], json!("LOKBIN-LAIN")), "id", ""),
            (with(&["properties", "footprint"], square(106.80, -6.20, 106.801, -6.199)), "properties.footprint", ""),
        ] {
            let r = call(&app, "POST", SITES, Some(&citata), None, Some(body.clone())).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind} {body}: {}", r.body);
            assert_eq!(r.body["field"], field, "{kind} {body}: {}", r.body);
            assert!(r.body["type"].as_str().unwrap().ends_with(slug), "{kind} {body}: {}", r.body);
        }
        assert_eq!(site_rows(&store).await, none, "{kind}: a refused create wrote something");

        // Create: 201, Location, ETag = the site version, the same as the native API's.
        let r = call(&app, "POST", SITES, Some(&citata), None, Some(good.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{kind}: {}", r.body);
        assert_eq!(r.location.as_deref(), Some("http://ogc.test/ogc/collections/lokasi_umkm/items/LOKBIN-OGC-1"));
        assert_eq!(r.etag.as_deref(), Some("\"1\""));
        assert!(r.body["properties"]["kelurahan"].as_str().unwrap().starts_with("31.71."), "{kind}: {}", r.body);
        let one = call(&app, "GET", &format!("{SITES}/LOKBIN-OGC-1"), None, None, None).await;
        assert_eq!(one.etag.as_deref(), Some("\"1\""));
        for uri in [format!("{SITES}/LOKBIN-OGC-1"), SITES.to_string(), format!("{SITES}?f=html"), format!("{SITES}/LOKBIN-OGC-1?f=html"), "/ogc/collections/lokasi_umkm".into()] {
            let r = app.clone().oneshot(Request::builder().uri(&uri).header("host", "ogc.test").body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{kind} {uri}");
            let text = String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
            assert!(!text.contains("Penanggung") && !text.contains("0811") && !text.contains("2222"), "{kind}: {uri} shows the contact: {text}");
        }
        assert_eq!(call(&app, "GET", &format!("{SITES}?jenis=lokbin"), None, None, None).await.body["numberMatched"], 1);
        assert_eq!(call(&app, "GET", &format!("{SITES}?jenis=loksem"), None, None, None).await.body["numberMatched"], 0);
        assert_eq!(call(&app, "GET", "/api/v1/ksbb/sites/LOKBIN-OGC-1", None, None, None).await.etag.as_deref(), Some("\"1\""));
        let dup = call(&app, "POST", SITES, Some(&citata), None, Some(good.clone())).await;
        assert_eq!((dup.status, dup.body["field"].as_str()), (StatusCode::CONFLICT, Some("properties.kode")), "{kind}: {}", dup.body);

        // Refused replaces: nothing written, version stays 1.
        let item = format!("{SITES}/LOKBIN-OGC-1");
        let moved = with(&["geometry"], point(106.8650, -6.1380)); // Jakarta Utara, on land
        let after_create = site_rows(&store).await;
        for (token, tag, body, status, field) in [
            (None, Some("\"1\""), moved.clone(), StatusCode::UNAUTHORIZED, None),
            (Some(planner.as_str()), Some("\"1\""), moved.clone(), StatusCode::FORBIDDEN, None),
            (Some(citata.as_str()), None, moved.clone(), StatusCode::PRECONDITION_REQUIRED, Some("If-Match")),
            (Some(citata.as_str()), Some("\"7\""), moved.clone(), StatusCode::PRECONDITION_FAILED, Some("If-Match")),
            (Some(citata.as_str()), Some("\"abc\""), moved.clone(), StatusCode::PRECONDITION_FAILED, Some("If-Match")),
            (Some(citata.as_str()), Some("\"1\""), json!({"type": "Point", "coordinates": [106.8650, -6.1380]}), StatusCode::UNPROCESSABLE_ENTITY, Some("type")),
            (Some(citata.as_str()), Some("\"1\""), with(&["geometry"], square(106.82, -6.18, 106.83, -6.17)), StatusCode::UNPROCESSABLE_ENTITY, Some("geometry")),
            (Some(citata.as_str()), Some("\"1\""), with(&["geometry"], point(-6.1380, 106.8650)), StatusCode::UNPROCESSABLE_ENTITY, Some("geometry")),
            (Some(citata.as_str()), Some("\"1\""), with(&["geometry"], point(106.86, -6.05)), StatusCode::UNPROCESSABLE_ENTITY, Some("geometry")),
            (Some(citata.as_str()), Some("\"1\""), with(&["properties", "kode"], json!("LOKBIN-OGC-2")), StatusCode::UNPROCESSABLE_ENTITY, Some("properties.kode")),
        ] {
            let r = call(&app, "PUT", &item, token, tag, Some(body.clone())).await;
            assert_eq!(r.status, status, "{kind} {tag:?} {body}: {}", r.body);
            if let Some(f) = field {
                assert_eq!(r.body["field"], f, "{kind} {body}: {}", r.body);
            }
        }
        assert_eq!(call(&app, "PUT", &format!("{SITES}/NOPE"), Some(&citata), Some("\"1\""), Some(moved.clone())).await.status, StatusCode::NOT_FOUND);
        assert_eq!(call(&app, "PATCH", &item, None, Some("\"1\""), Some(json!({"properties": {"kapasitas": 1}}))).await.status, StatusCode::UNAUTHORIZED);
        // A body that is not JSON, and coordinates in a CRS sigap does not offer: 400 naming them.
        for (crs, body, field) in [(None, "{".to_string(), "body"), (Some("EPSG:9999"), good.to_string(), "Content-Crs")] {
            let mut req = Request::builder().method("POST").uri(SITES).header("host", "ogc.test").header("authorization", format!("Bearer {citata}")).header("content-type", "application/geo+json");
            if let Some(c) = crs {
                req = req.header("content-crs", c);
            }
            let r = app.clone().oneshot(req.body(Body::from(body.clone())).unwrap()).await.unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{kind} {body}");
            let v: Value = serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
            assert_eq!(v["field"], field, "{kind}: {v}");
        }
        assert_eq!(site_rows(&store).await, after_create, "{kind}: a refused replace wrote something");

        // Replace (a move, the contact omitted: kept), then a merge patch of the capacity.
        let mut moved_no_contact = moved.clone();
        let props = moved_no_contact["properties"].as_object_mut().unwrap();
        props.remove("pj_nama");
        props.remove("pj_telepon");
        let r = call(&app, "PUT", &item, Some(&citata), Some("\"1\""), Some(moved_no_contact)).await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
        assert_eq!(r.etag.as_deref(), Some("\"2\""));
        assert!(r.body["properties"]["kelurahan"].as_str().unwrap().starts_with("31.72."), "{kind}: moved to Jakarta Utara: {}", r.body);
        let stored = sigap::ksbb::store::site(&store, "LOKBIN-OGC-1").await.unwrap().unwrap();
        assert_eq!((stored.version, stored.pj_nama.as_deref()), (2, Some("Pak Penanggung Jawab")), "{kind}: the contact is kept");
        let r = call(&app, "PATCH", &item, Some(&citata), Some("\"2\""), Some(json!({"properties": {"kapasitas": 55, "umkm": 999}}))).await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
        assert_eq!((r.body["properties"]["kapasitas"].as_i64(), r.body["properties"]["umkm"].as_i64(), r.etag.as_deref()), (Some(55), Some(0), Some("\"3\"")));
        assert_eq!(r.body["properties"]["nama"], "Lokbin Uji");
        assert_eq!(r.body["geometry"]["coordinates"], json!([106.8650, -6.1380]));

        // A second editor still holding version 1 or 2: 412, nothing overwritten.
        for tag in ["\"1\"", "\"2\""] {
            let r = call(&app, "PUT", &item, Some(&citata), Some(tag), Some(good.clone())).await;
            assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::PRECONDITION_FAILED, Some("If-Match")), "{kind}: {}", r.body);
            let r = call(&app, "PATCH", &item, Some(&citata), Some(tag), Some(json!({"properties": {"nama": "B"}}))).await;
            assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{kind}: {}", r.body);
        }
        let now = call(&app, "GET", &item, None, None, None).await;
        assert_eq!((now.body["properties"]["kapasitas"].as_i64(), now.etag.as_deref()), (Some(55), Some("\"3\"")), "{kind}");

        // Delete: If-Match required and current; the site is retired (kept with its history).
        let before_delete = site_rows(&store).await;
        assert_eq!(call(&app, "DELETE", &item, None, Some("\"3\""), None).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(call(&app, "DELETE", &item, Some(&planner), Some("\"3\""), None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(call(&app, "DELETE", &item, Some(&citata), None, None).await.status, StatusCode::PRECONDITION_REQUIRED);
        assert_eq!(call(&app, "DELETE", &item, Some(&citata), Some("\"2\""), None).await.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(site_rows(&store).await, before_delete, "{kind}: a refused delete wrote something");
        assert_eq!(call(&app, "DELETE", &item, Some(&citata), Some("\"3\""), None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(call(&app, "GET", &item, None, None, None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(call(&app, "DELETE", &item, Some(&citata), Some("\"4\""), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(call(&app, "GET", SITES, None, None, None).await.body["numberMatched"], 0);
        let native = call(&app, "GET", "/api/v1/ksbb/sites/LOKBIN-OGC-1", None, None, None).await;
        assert_eq!(native.body["status"], "nonaktif", "{kind}: {}", native.body);
        let trail: Vec<String> = audit::history(&store, "ksbb_site", "LOKBIN-OGC-1").await.unwrap().into_iter().map(|r| r.action).collect();
        assert_eq!(trail, ["ksbb.site.create", "ksbb.site.move", "ksbb.site.edit", "ksbb.site.retire"], "{kind}");
    })
    .await;
}
