//! Vector tiles over HTTP: decoded in Rust, good and bad requests, ETag/304, gzip, and the
//! cache dropping exactly the tiles a boundary edit touches, on both stores.

mod common;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::store::testing;
use sigap::tiles::mvt::{decode, Prop};
use sigap::tiles::sites::{Site, SiteSource};
use sigap::tiles::tile::{to_world, BUFFER};
use sigap::tiles::{TileId, WorldRect};
use sigap::wilayah::{AreaCode, AtlasHandle, Level};
use std::io::Read;
use std::sync::Arc;
use tower::ServiceExt;

async fn state(store: sigap::store::Store) -> AppState {
    let atlas = atlas(&store).await;
    AppState::new(store, AtlasHandle::new(atlas), Arc::new(Config::default()))
}

async fn get(app: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    request(app, "GET", uri, headers).await
}

async fn request(app: &axum::Router, method: &str, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

fn tile_of(lon: f64, lat: f64, z: u8) -> TileId {
    let (x, y) = to_world(lon, lat);
    let n = (1u64 << z) as f64;
    TileId { z, x: (x * n) as u32, y: (y * n) as u32 }
}

fn url(layer: &str, t: TileId) -> String {
    format!("/tiles/{layer}/{}/{}/{}.mvt", t.z, t.x, t.y)
}

/// Feature codes of a tile, checking the layer name and that every feature has id, kode, nama.
fn codes(bytes: &[u8], layer: &str) -> Vec<String> {
    let layers = decode(bytes).expect("decodes");
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].0, layer);
    layers[0]
        .2
        .iter()
        .map(|f| {
            let kode = f.prop("kode").and_then(Prop::as_str).expect("kode").to_string();
            assert_eq!(f.id, Some(kode.replace('.', "").parse::<u64>().unwrap()), "id is the code's digits");
            assert!(f.prop("nama").and_then(Prop::as_str).is_some_and(|n| !n.is_empty()));
            assert_eq!(f.prop("generated").is_some(), layer == "rw");
            kode
        })
        .collect()
}

const MONAS: (f64, f64) = (106.8272, -6.1754);

/// A site layer with one point at Monas, through the hook other domains will use.
struct OnePosko;

impl SiteSource for OnePosko {
    fn sites(&self, _: [f64; 4]) -> Vec<Site> {
        vec![Site { id: 7, lon: MONAS.0, lat: MONAS.1, props: vec![("nama".into(), Prop::Str("Posko Monas".into()))] }]
    }
}

#[tokio::test]
async fn tiles_decode_with_codes_and_bad_requests_are_problems() {
    let store = testing::gpkg().await;
    load_shipped(&store, Level::Rw).await;
    let state = state(store).await;
    state.tiles.register_site_layer("posko", Arc::new(OnePosko)).unwrap();
    let tiles = state.tiles.clone();
    let app = api::router(state);

    // Gambir (Monas) at z14 in the kelurahan layer; Jakarta Pusat in the z10 kota tile.
    let t14 = tile_of(MONAS.0, MONAS.1, 14);
    let (status, h, body) = get(&app, &url("kelurahan", t14), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "application/vnd.mapbox-vector-tile");
    assert!(h.get("content-encoding").is_none());
    let kel = codes(&body, "kelurahan");
    assert!(kel.contains(&"31.71.01.1001".to_string()), "{kel:?}");
    assert!(kel.iter().all(|k| k.split('.').count() == 4));
    let kota = codes(&get(&app, &url("kota", tile_of(MONAS.0, MONAS.1, 10)), &[]).await.2, "kota");
    assert!(kota.contains(&"31.71".to_string()), "{kota:?}");
    let kec = codes(&get(&app, &url("kecamatan", t14), &[]).await.2, "kecamatan");
    assert!(kec.contains(&"31.71.01".to_string()), "{kec:?}");
    let rw_bytes = get(&app, &url("rw", tile_of(MONAS.0, MONAS.1, 16)), &[]).await.2;
    let rw = codes(&rw_bytes, "rw");
    assert!(!rw.is_empty() && rw.iter().all(|k| k.starts_with("31.71.01.1001.")), "{rw:?}");
    // Gambir has real (2012) RW; Kepulauan Seribu keeps generated ones: the tiles say which.
    assert!(decode(&rw_bytes).unwrap()[0].2.iter().all(|f| f.prop("generated") == Some(&Prop::Bool(false))
        && f.prop("sumber") == Some(&Prop::Str("inasafe-osm-2012".into()))
        && f.prop("tahun") == Some(&Prop::Int(2012))));
    let seribu = get(&app, &url("rw", tile_of(106.6153, -5.7453, 14)), &[]).await.2;
    let seribu = decode(&seribu).unwrap();
    assert!(!seribu[0].2.is_empty() && seribu[0].2.iter().all(|f| f.prop("generated") == Some(&Prop::Bool(true))
        && f.prop("sumber") == Some(&Prop::Str("generated".into()))
        && f.prop("tahun").is_none()));

    // A plugged-in site layer is served the same way.
    let (s, _, posko) = get(&app, &url("posko", t14), &[]).await;
    assert_eq!(s, StatusCode::OK);
    let posko = decode(&posko).unwrap();
    assert_eq!((posko[0].0.as_str(), posko[0].2.len(), posko[0].2[0].id), ("posko", 1, Some(7)));
    assert_eq!(get(&app, "/tiles/posko/10/0/0.mvt", &[]).await.0, StatusCode::NO_CONTENT);
    assert_eq!(get(&app, "/tiles/posko.json", &[]).await.0, StatusCode::OK);

    // Empty: the Atlantic at z10, and Java's south coast.
    assert_eq!(get(&app, "/tiles/kota/10/0/0.mvt", &[]).await.0, StatusCode::NO_CONTENT);
    assert_eq!(get(&app, &url("kelurahan", tile_of(106.8, -7.8, 12)), &[]).await.0, StatusCode::NO_CONTENT);

    // Bad addresses name the field.
    for (uri, status, field) in [
        ("/tiles/kota/21/0/0.mvt", 400, "z"),
        ("/tiles/kota/x/0/0.mvt", 400, "z"),
        ("/tiles/kota/3/8/0.mvt", 400, "x"),
        ("/tiles/kota/3/-1/0.mvt", 400, "x"),
        ("/tiles/kota/3/0/8.mvt", 400, "y"),
        ("/tiles/kota/3/0/abc.mvt", 400, "y"),
        ("/tiles/kota/3/0/1.5.mvt", 400, "y"),
        ("/tiles/desa/3/0/0.mvt", 404, "layer"),
        ("/tiles/kota/3/0/0.png", 404, "y"),
        ("/tiles/desa.json", 404, "layer"),
        ("/tiles/kota.xml", 404, "layer"),
        ("/tiles/kota/3/0", 404, ""),
    ] {
        let (s, h, body) = get(&app, uri, &[]).await;
        assert_eq!(s.as_u16(), status, "{uri}");
        assert_eq!(h["content-type"], "application/problem+json", "{uri}");
        let p: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if !field.is_empty() {
            assert_eq!(p["field"], field, "{uri}: {p}");
        }
    }

    // ETag and 304, in both encodings.
    let etag = h["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    let (s304, h304, b304) = get(&app, &url("kelurahan", t14), &[("if-none-match", &etag)]).await;
    assert_eq!(s304, StatusCode::NOT_MODIFIED);
    assert!(b304.is_empty());
    assert_eq!(h304["etag"], etag.as_str());
    assert_eq!(get(&app, &url("kelurahan", t14), &[("if-none-match", "\"stale\"")]).await.0, StatusCode::OK);
    let (sg, hg, gz) = get(&app, &url("kelurahan", t14), &[("accept-encoding", "br, gzip;q=0.8")]).await;
    assert_eq!(sg, StatusCode::OK);
    assert_eq!(hg["content-encoding"], "gzip");
    assert_eq!(hg["vary"], "accept-encoding");
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut plain).unwrap();
    assert_eq!(plain, body, "gzip carries the same tile");
    let gz_etag = hg["etag"].to_str().unwrap().to_string();
    assert_ne!(gz_etag, etag, "each encoding has its own ETag");
    assert_eq!(get(&app, &url("kelurahan", t14), &[("accept-encoding", "gzip"), ("if-none-match", &gz_etag)]).await.0, StatusCode::NOT_MODIFIED);
    assert!(get(&app, &url("kelurahan", t14), &[("accept-encoding", "gzip;q=0")]).await.1.get("content-encoding").is_none());

    // A cached tile is answered by the warm path, before the router (`tiles::http::WarmTiles`):
    // each answer — 200, gzip, 304, 204 — equals the handler's for the same tile rendered anew.
    let drop_t14 = || tiles.invalidate(&[Level::Kelurahan], &[t14.world_bounds(0)]);
    for headers in [vec![], vec![("accept-encoding", "gzip")], vec![("if-none-match", etag.as_str())], vec![("accept-encoding", "gzip"), ("if-none-match", gz_etag.as_str())]] {
        assert!(!drop_t14().is_empty(), "t14 was cached");
        let mut cold = get(&app, &url("kelurahan", t14), &headers).await;
        let warm = get(&app, &url("kelurahan", t14), &headers).await;
        // The router writes Content-Length itself; on the wire hyper writes it for the warm
        // answer too, from the body's exact length.
        cold.1.remove("content-length");
        assert_eq!(warm, cold, "{headers:?}");
        assert_eq!(warm.1["x-content-type-options"], "nosniff");
        assert_eq!(warm.1["content-security-policy"], sigap::api::headers::DATA_CSP);
        assert_eq!(warm.1["cache-control"], "public, no-cache");
    }
    assert!(!tiles.invalidate(&[Level::Kota], &[TileId { z: 10, x: 0, y: 0 }.world_bounds(0)]).is_empty());
    let mut empty = get(&app, "/tiles/kota/10/0/0.mvt", &[]).await;
    assert_eq!((empty.0, empty.1.get("etag"), empty.1["x-content-type-options"].to_str().unwrap()), (StatusCode::NO_CONTENT, None, "nosniff"));
    empty.1.remove("content-length");
    assert_eq!(get(&app, "/tiles/kota/10/0/0.mvt", &[]).await, empty);
    // Warm answers are counted under the tile route, like the router's: one observation each.
    let count = |m: &str, status: &str| -> u64 {
        let line = m.lines().find(|l| l.starts_with("sigap_http_request_duration_seconds_count{") && l.contains("route=\"/tiles/{layer}/{z}/{x}/{y}\"") && l.contains(&format!("status=\"{status}\"")));
        line.map_or(0, |l| l.rsplit(' ').next().unwrap().parse().unwrap())
    };
    let m0 = String::from_utf8(get(&app, "/metrics", &[]).await.2).unwrap();
    for _ in 0..3 {
        assert_eq!(get(&app, &url("kelurahan", t14), &[]).await.0, StatusCode::OK);
    }
    assert_eq!(get(&app, &url("kelurahan", t14), &[("if-none-match", &etag)]).await.0, StatusCode::NOT_MODIFIED);
    assert_eq!(get(&app, "/tiles/kota/10/0/0.mvt", &[]).await.0, StatusCode::NO_CONTENT);
    let m1 = String::from_utf8(get(&app, "/metrics", &[]).await.2).unwrap();
    assert_eq!([count(&m1, "200") - count(&m0, "200"), count(&m1, "304") - count(&m0, "304"), count(&m1, "204") - count(&m0, "204")], [3, 1, 1], "{m1}");
    // What the warm path must not answer goes to the router, even for a cached tile: HEAD
    // (the same head, no body), a %-escaped layer (decoded by the router), a wrong method,
    // extra or odd segments.
    let (hs, hh, hb) = request(&app, "HEAD", &url("kelurahan", t14), &[]).await;
    assert_eq!((hs, hh.get("etag"), hb.len()), (StatusCode::OK, Some(&h["etag"]), 0));
    let escaped = get(&app, &url("kelurahan", t14).replace("kelurahan", "kel%75rahan"), &[]).await;
    assert_eq!((escaped.0, escaped.2), (StatusCode::OK, body.clone()));
    for (method, uri, status) in [
        ("POST", url("kelurahan", t14), 405),
        ("GET", format!("{}/x", url("kelurahan", t14)), 404),
        ("GET", url("kelurahan", t14).replace(".mvt", ".mvtx"), 404),
        ("GET", url("kelurahan", t14).replace("/tiles/", "/tiles//"), 404),
    ] {
        let (s, h, _) = request(&app, method, &uri, &[]).await;
        assert_eq!((s.as_u16(), h["content-type"].to_str().unwrap()), (status, "application/problem+json"), "{method} {uri}");
    }

    // TileJSON points at the host the client used and describes the layer.
    let (s, _, tj) = get(&app, "/tiles/rw.json", &[("host", "peta.example:8080")]).await;
    assert_eq!(s, StatusCode::OK);
    let tj: serde_json::Value = serde_json::from_slice(&tj).unwrap();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["tiles"][0], "http://peta.example:8080/tiles/rw/{z}/{x}/{y}.mvt");
    assert_eq!(tj["vector_layers"][0]["id"], "rw");
    for field in ["generated", "sumber", "tahun"] {
        assert!(tj["vector_layers"][0]["fields"][field].is_string(), "{field}");
    }
    let b: Vec<f64> = tj["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(b[0] > 106.0 && b[2] < 107.5 && b[1] > -6.5 && b[3] < -5.0, "{b:?}");
    let doc: serde_json::Value = serde_json::from_slice(&get(&app, "/api-docs/openapi.json", &[]).await.2).unwrap();
    assert!(doc["paths"]["/tiles/{layer}/{z}/{x}/{y}"]["get"].is_object());
}

#[tokio::test]
async fn a_boundary_edit_drops_exactly_the_tiles_it_touches() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let admin = sigap::store::tokens::create(&store, "admin", None, Some("test")).await.unwrap();
        let state = state(store.clone()).await;
        let tiles = state.tiles.clone();
        let app = api::router(state.clone());
        let old = state.atlas.current().get(&AreaCode::parse("31.71.01.1001").unwrap()).unwrap().geometry.clone();

        // Warm the cache: a grid of tiles over central Jakarta at z12..z15, in three layers.
        let mut warm = Vec::new();
        for z in 12u8..=15 {
            for i in 0..5 {
                for j in 0..5 {
                    let t = tile_of(106.78 + i as f64 * 0.02, -6.22 + j as f64 * 0.015, z);
                    for layer in ["kelurahan", "kecamatan", "rw"] {
                        warm.push((layer, t));
                    }
                }
            }
        }
        warm.sort();
        warm.dedup();
        for (layer, t) in &warm {
            get(&app, &url(layer, *t), &[]).await;
        }
        assert_eq!(tiles.cached().len(), warm.len());
        let probe = tile_of(106.8330, -6.1800, 15);
        let before = codes(&get(&app, &url("kelurahan", probe), &[]).await.2, "kelurahan");
        assert!(before.contains(&"31.71.01.1001".to_string()));
        let kec_before = get(&app, &url("kecamatan", probe), &[]).await.2;
        let cached_before = tiles.cached();

        // Gambir shrunk to a small square around Monas.
        let square = r#"{"geometry":{"type":"Polygon","coordinates":[[[106.82,-6.18],[106.83,-6.18],[106.83,-6.17],[106.82,-6.17],[106.82,-6.18]]]}}"#;
        let req = Request::builder()
            .method("PUT")
            .uri("/api/v1/wilayah/31.71.01.1001")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {admin}"))
            .body(Body::from(square))
            .unwrap();
        assert_eq!(app.clone().oneshot(req).await.unwrap().status(), StatusCode::OK);

        let new = state.atlas.current().get(&AreaCode::parse("31.71.01.1001").unwrap()).unwrap().geometry.clone();
        let boxes = [WorldRect::of_lonlat(&old).unwrap(), WorldRect::of_lonlat(&new).unwrap()];
        // Kecamatan (and kota) tiles draw the dissolved kelurahan, so they go too; rw tiles stay.
        let touched = |(level, t): &(Level, TileId)| *level != Level::Rw && boxes.iter().any(|b| t.world_bounds(BUFFER).intersects(b));
        let expect: Vec<_> = cached_before.iter().filter(|k| !touched(k)).copied().collect();
        assert!(expect.len() < cached_before.len(), "the edit touches some cached tiles");
        assert!(expect.iter().any(|(l, _)| *l == Level::Kelurahan), "and leaves other kelurahan tiles");
        assert!(cached_before.iter().any(|k| k.0 == Level::Kecamatan && touched(k)), "some kecamatan tiles are touched");
        assert!(expect.iter().any(|(l, _)| *l == Level::Kecamatan), "and other kecamatan tiles are kept");
        assert_eq!(tiles.cached(), expect, "{}: exactly the touched tiles are dropped", store.kind());
        // The probe point left Gambir: its tile no longer shows it.
        let after = codes(&get(&app, &url("kelurahan", probe), &[]).await.2, "kelurahan");
        assert!(!after.contains(&"31.71.01.1001".to_string()), "{after:?}");
        // The kecamatan there is redrawn from the edited kelurahan.
        assert_ne!(get(&app, &url("kecamatan", probe), &[]).await.2, kec_before, "kecamatan 31.71.01 is redrawn");
    })
    .await;
}
