//! OGC API – Features (Part 1 core, GeoJSON, HTML, OpenAPI 3.0) on both stores, through the real
//! router: what the OGC conformance suite (ets-ogcapi-features10) asserts for core — landing
//! links, conformance, paging through every feature, bbox, limits, 404s, 400s naming the
//! parameter — plus the bansos properties and the public complaint view.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::Value;
use sigap::api::{self, AppState, Config};
use sigap::store::testing;
use sigap::wilayah::{AreaCode, AtlasHandle, Level};
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    content_type: String,
    content_crs: Option<String>,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn call(app: &axum::Router, method: &str, uri: &str, accept: Option<&str>, body: Option<(&str, &str)>) -> Answer {
    let mut req = Request::builder().method(method).uri(uri).header("host", "ogc.test");
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    if let Some((ct, _)) = body {
        req = req.header("content-type", ct);
    }
    let res = app.clone().oneshot(req.body(body.map(|(_, b)| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = res.status();
    let header = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type = header("content-type").unwrap_or_default();
    let content_crs = header("content-crs");
    let text = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    Answer { status, content_type, content_crs, text }
}

async fn get(app: &axum::Router, uri: &str) -> Answer {
    call(app, "GET", uri, None, None).await
}

/// Follows `next` links from `first` and returns every feature id, checking each page's counts.
async fn page_through(app: &axum::Router, first: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut url = first.to_string();
    let mut pages = 0;
    loop {
        let a = get(app, &url).await;
        assert_eq!(a.status, StatusCode::OK, "{url}: {}", a.text);
        assert_eq!(a.content_type, "application/geo+json");
        let v = a.json();
        let feats = v["features"].as_array().unwrap();
        assert_eq!(v["numberReturned"].as_u64().unwrap() as usize, feats.len());
        ids.extend(feats.iter().map(|f| f["id"].as_str().unwrap().to_string()));
        pages += 1;
        let links = v["links"].as_array().unwrap();
        assert_eq!(links.iter().any(|l| l["rel"] == "prev"), pages > 1, "{url}");
        match links.iter().find(|l| l["rel"] == "next") {
            Some(n) => {
                assert_eq!(n["type"], "application/geo+json");
                url = n["href"].as_str().unwrap().strip_prefix("http://ogc.test").unwrap().to_string();
            }
            None => {
                assert_eq!(v["numberMatched"].as_u64().unwrap() as usize, ids.len());
                return (ids, pages);
            }
        }
    }
}

#[tokio::test]
async fn core_geojson_html_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        sigap::bansos::load_demo(&store, &atlas, &|_, _| {}).await.unwrap();
        let rw_count = atlas.len(Level::Rw);
        let kel_in_gambir = atlas.list(Level::Kelurahan, Some(&AreaCode::parse("31.71.01").unwrap())).len();
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));

        // Landing page: absolute links to the API definition, conformance and the collections.
        let land = get(&app, "/ogc").await;
        assert_eq!(land.status, StatusCode::OK);
        let land = land.json();
        for rel in ["self", "service-desc", "conformance", "data"] {
            let l = land["links"].as_array().unwrap().iter().find(|l| l["rel"] == rel).unwrap_or_else(|| panic!("no {rel} link"));
            assert!(l["href"].as_str().unwrap().starts_with("http://ogc.test/ogc"), "{l}");
        }
        let conf = get(&app, "/ogc/conformance").await.json();
        for c in ["core", "geojson", "html", "oas30"] {
            assert!(conf["conformsTo"].as_array().unwrap().iter().any(|x| x.as_str().unwrap().ends_with(&format!("features-1/1.0/conf/{c}"))), "{conf}");
        }
        let doc = get(&app, "/ogc/api").await;
        assert_eq!(doc.content_type, "application/vnd.oai.openapi+json;version=3.0");
        let doc = doc.json();
        assert_eq!(doc["openapi"], "3.0.3");
        let limit = doc["paths"]["/collections/rw/items"]["get"]["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "limit").unwrap().clone();
        assert_eq!(limit["schema"]["maximum"], 10_000);

        // Collections: the four levels and the complaints; RW marked generated.
        let cols = get(&app, "/ogc/collections").await.json();
        let ids: Vec<&str> = cols["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["kota", "kecamatan", "kelurahan", "rw", "pengaduan", "gudang", "lokasi_umkm"]);
        let rw = get(&app, "/ogc/collections/rw").await.json();
        assert_eq!(rw["generated"], true);
        assert_eq!(get(&app, "/ogc/collections/kota").await.json()["generated"], false);
        let bbox = rw["extent"]["spatial"]["bbox"][0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>();
        assert!(bbox[0] > 106.0 && bbox[2] < 107.2 && bbox[1] > -6.5 && bbox[3] < -5.0, "{bbox:?}");
        assert!(rw["links"].as_array().unwrap().iter().any(|l| l["rel"] == "items" && l["type"] == "application/geo+json"));

        // Paging through every RW, 1000 at a time: each once, in order.
        let (all, pages) = page_through(&app, "/ogc/collections/rw/items?limit=1000").await;
        assert_eq!(all.len(), rw_count);
        assert_eq!(pages, rw_count.div_ceil(1000));
        assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), rw_count, "no feature twice");
        // And small pages on a small collection, with the default limit (10).
        let (kota, _) = page_through(&app, "/ogc/collections/kota/items").await;
        assert_eq!(kota.len(), 6);

        // bbox around Monas: Gambir's kelurahan, every answer touching the box.
        let a = get(&app, "/ogc/collections/kelurahan/items?bbox=106.82,-6.18,106.83,-6.17&limit=100").await;
        assert_eq!(a.content_crs.as_deref(), Some("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"));
        let v = a.json();
        let got: Vec<&str> = v["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert!(got.contains(&"31.71.01.1001"), "{got:?}");
        assert!(got.len() < 10, "{got:?}");

        // Property filters on queryables; bansos progress as properties, equal to the native API.
        let v = get(&app, "/ogc/collections/kelurahan/items?induk=31.71.01&limit=100").await.json();
        assert_eq!(v["numberMatched"].as_u64().unwrap() as usize, kel_in_gambir);
        let native = get(&app, "/api/v1/bansos/progress?level=kelurahan").await.json();
        for f in v["features"].as_array().unwrap() {
            let code = f["id"].as_str().unwrap();
            assert_eq!(f["properties"]["served_kk"], native["areas"][code]["served_kk"], "{code}");
            assert_eq!(f["properties"]["percent"], native["areas"][code]["percent"], "{code}");
        }
        let v = get(&app, "/ogc/collections/kota/items?nama=Kota%20Administrasi%20Jakarta%20Pusat").await.json();
        let pusat = get(&app, "/api/v1/wilayah/31.71").await.json();
        assert_eq!(v["numberMatched"], if pusat["properties"]["nama"] == "Kota Administrasi Jakarta Pusat" { 1 } else { 0 });
        let q = get(&app, "/ogc/collections/rw/queryables").await;
        assert_eq!(q.content_type, "application/schema+json");
        let q = q.json();
        assert_eq!(q["properties"]["served_kk"]["type"], "integer");
        assert_eq!((q["properties"]["sumber"]["type"].as_str(), q["properties"]["tahun"]["type"].as_str()), (Some("string"), Some("integer")));
        // Each RW says its source and year; the 16 generated ones are found by source.
        let monas = get(&app, "/ogc/collections/rw/items/31.71.01.1001.002").await.json();
        assert_eq!((&monas["properties"]["sumber"], &monas["properties"]["tahun"]), (&serde_json::json!("inasafe-osm-2012"), &serde_json::json!(2012)));
        let generated = get(&app, "/ogc/collections/rw/items?limit=100&sumber=generated").await.json();
        assert_eq!(generated["numberMatched"], 16, "{generated}");
        assert!(generated["features"].as_array().unwrap().iter().all(|f| f["properties"]["generated"] == true && f["properties"]["tahun"].is_null()));

        // One feature, with its links.
        let one = get(&app, "/ogc/collections/kota/items/31.71").await;
        assert_eq!(one.status, StatusCode::OK);
        assert_eq!(one.content_type, "application/geo+json");
        let one = one.json();
        assert_eq!((one["id"].as_str(), one["geometry"]["type"].as_str()), (Some("31.71"), Some("MultiPolygon")));
        assert!(one["links"].as_array().unwrap().iter().any(|l| l["rel"] == "collection"));

        // HTML by Accept (a browser) and by f=html; JSON by f=json over a browser's Accept.
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        for uri in ["/ogc", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/rw", "/ogc/collections/rw/items", "/ogc/collections/rw/queryables", "/ogc/collections/kota/items/31.71"] {
            let h = call(&app, "GET", uri, Some(browser), None).await;
            assert_eq!(h.status, StatusCode::OK, "{uri}");
            assert!(h.content_type.starts_with("text/html"), "{uri}: {}", h.content_type);
            assert!(h.text.starts_with("<!doctype html>"), "{uri}");
        }
        let h = get(&app, "/ogc/collections/kelurahan/items?f=html&induk=31.71.01").await;
        assert!(h.content_type.starts_with("text/html") && h.text.contains("<svg") && h.text.contains("<polygon"), "{}", h.text);
        let j = call(&app, "GET", "/ogc/collections?f=json", Some(browser), None).await;
        assert_eq!(j.content_type, "application/json");

        // Bad input: a clear 4xx naming the parameter, as problem+json.
        for (uri, status, field) in [
            ("/ogc/collections/desa", StatusCode::NOT_FOUND, "collectionId"),
            ("/ogc/collections/desa/items", StatusCode::NOT_FOUND, "collectionId"),
            ("/ogc/collections/kota/items/31.99", StatusCode::NOT_FOUND, "featureId"),
            ("/ogc/collections/rw/items?bbox=106.8,-6.2,106.9", StatusCode::BAD_REQUEST, "bbox"),
            ("/ogc/collections/rw/items?bbox=106.9,-6.2,106.8,-6.1", StatusCode::BAD_REQUEST, "bbox"),
            ("/ogc/collections/rw/items?bbox=NaN,-6.2,106.8,-6.1", StatusCode::BAD_REQUEST, "bbox"),
            ("/ogc/collections/rw/items?limit=0", StatusCode::BAD_REQUEST, "limit"),
            ("/ogc/collections/rw/items?limit=-5", StatusCode::BAD_REQUEST, "limit"),
            ("/ogc/collections/rw/items?limit=10001", StatusCode::BAD_REQUEST, "limit"),
            ("/ogc/collections/rw/items?crs=EPSG:9999", StatusCode::BAD_REQUEST, "crs"),
            ("/ogc/collections/rw/items?colour=red", StatusCode::BAD_REQUEST, "colour"),
            ("/ogc/collections/rw/items?served_kk=many", StatusCode::BAD_REQUEST, "served_kk"),
            ("/ogc/collections/rw/items?f=xml", StatusCode::BAD_REQUEST, "f"),
            ("/ogc/collections/pengaduan/items?datetime=kemarin", StatusCode::BAD_REQUEST, "datetime"),
            ("/ogc/collections?limit=3", StatusCode::BAD_REQUEST, "limit"),
        ] {
            let a = get(&app, uri).await;
            assert_eq!(a.status, status, "{uri}: {}", a.text);
            assert_eq!(a.content_type, "application/problem+json", "{uri}");
            assert_eq!(a.json()["field"], field, "{uri}: {}", a.text);
        }
    })
    .await;
}

#[tokio::test]
async fn complaints_are_the_public_view_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
        let form = "service_code=jalan_rusak&lat=-6.175432&long=106.827189&description=Lubang+besar&email=warga%40example.id";
        let p = call(&app, "POST", "/open311/v2/requests.json", None, Some(("application/x-www-form-urlencoded", form))).await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
        let id = p.json()[0]["service_request_id"].as_str().unwrap().to_string();

        let a = get(&app, "/ogc/collections/pengaduan/items").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        assert!(!a.text.contains("warga@example.id") && !a.text.contains("6.175432") && !a.text.contains("106.827189"), "{}", a.text);
        let v = a.json();
        assert_eq!(v["numberMatched"], 1);
        let f = &v["features"][0];
        assert_eq!(f["id"], id.as_str());
        assert_eq!(f["geometry"]["coordinates"], serde_json::json!([106.827, -6.175]), "rounded like Open311");
        assert_eq!((f["properties"]["category"].as_str(), f["properties"]["open"].as_bool()), (Some("jalan_rusak"), Some(true)));
        assert!(f["properties"].get("reporter_contact").is_none());
        let one = get(&app, &format!("/ogc/collections/pengaduan/items/{id}")).await;
        assert!(!one.text.contains("warga@example.id") && !one.text.contains("6.175432"), "{}", one.text);

        // datetime on created_at; property filters.
        assert_eq!(get(&app, "/ogc/collections/pengaduan/items?datetime=2000-01-01T00:00:00Z/..").await.json()["numberMatched"], 1);
        assert_eq!(get(&app, "/ogc/collections/pengaduan/items?datetime=../2000-01-01T00:00:00Z").await.json()["numberMatched"], 0);
        assert_eq!(get(&app, "/ogc/collections/pengaduan/items?category=banjir").await.json()["numberMatched"], 0);
        assert_eq!(get(&app, "/ogc/collections/pengaduan/items?open=true").await.json()["numberMatched"], 1);
    })
    .await;
}

/// The gudang layer that logistics registers: each stored gudang is a point feature with its
/// public fields, filterable on its queryables; an unknown gudang is a 404.
#[tokio::test]
async fn gudang_are_a_collection_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let mut tx = store.begin().await.unwrap();
        for (kode, nama, lon, lat, aktif) in [("GBK", "Gudang Balaikota", 106.8278, -6.1806, true), ("GDS", "Gudang Dinsos", 106.8451, -6.2297, false)] {
            let g = sigap::logistics::model::NewGudang { kode: kode.into(), nama: nama.into(), alamat: None, lon, lat, aktif };
            sigap::logistics::ops::create_gudang(&mut tx, &atlas, &g, "test", false).await.unwrap();
        }
        tx.commit().await.unwrap();
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));

        let all = get(&app, "/ogc/collections/gudang/items").await;
        assert_eq!(all.status, StatusCode::OK, "{}", all.text);
        let all = all.json();
        assert_eq!(all["numberMatched"], 2);
        let one = get(&app, "/ogc/collections/gudang/items/GBK").await.json();
        assert_eq!(one["properties"]["nama"], "Gudang Balaikota");
        assert_eq!(one["properties"]["kota"], "31.71");
        assert_eq!(one["geometry"]["coordinates"], serde_json::json!([106.8278, -6.1806]));
        let open = get(&app, "/ogc/collections/gudang/items?aktif=true").await.json();
        assert_eq!(open["numberMatched"], 1, "{open}");
        assert_eq!(open["features"][0]["id"], "GBK");
        assert_eq!(get(&app, "/ogc/collections/gudang/items/NOPE").await.status, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, "/ogc/collections/gudang/items?gudang=x").await.status, StatusCode::BAD_REQUEST);
    })
    .await;
}
