//! The offline basemap over HTTP (`/tiles/basemap/…`): sea, land and roads by zoom from the
//! shipped data, bad addresses as problems, and a boundary edit redrawing land and sea, on both
//! stores.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::store::testing;
use sigap::tiles::mvt::{decode, Decoded, Prop};
use sigap::tiles::tile::to_world;
use sigap::tiles::TileId;
use sigap::wilayah::{AtlasHandle, Level};
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Vec<u8>, String) {
    let res = app.clone().oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let ctype = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, res.into_body().collect().await.unwrap().to_bytes().to_vec(), ctype)
}

fn tile_of(lon: f64, lat: f64, z: u8) -> TileId {
    let (x, y) = to_world(lon, lat);
    let n = (1u64 << z) as f64;
    TileId { z, x: (x * n) as u32, y: (y * n) as u32 }
}

fn url(t: TileId) -> String {
    format!("/tiles/basemap/{}/{}/{}.mvt", t.z, t.x, t.y)
}

/// The features of each MVT layer of a basemap tile, by layer name.
fn layers(bytes: &[u8]) -> Vec<(String, Vec<Decoded>)> {
    decode(bytes).expect("decodes").into_iter().map(|(name, _, f)| (name, f)).collect()
}

fn classes(roads: &[Decoded]) -> BTreeSet<String> {
    roads.iter().map(|f| f.prop("class").and_then(Prop::as_str).expect("class").to_string()).collect()
}

const MONAS: (f64, f64) = (106.8272, -6.1754);

#[tokio::test]
async fn the_basemap_draws_sea_land_and_roads_by_zoom_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let config = Config { roads: Some(root().join("data/roads/jakarta_roads.geojson")), ..Config::default() };
        let state = AppState::new(store, AtlasHandle::new(atlas), Arc::new(config));
        assert!(state.tiles.register_site_layer("basemap", Arc::new(NoSites)).is_err(), "the basemap's name is taken");
        let app = api::router(state);

        // z10 over central Jakarta: land, sea (Jakarta Bay is in the tile) and only arterial roads.
        let (s, body, ctype) = get(&app, &url(tile_of(MONAS.0, MONAS.1, 10))).await;
        assert_eq!((s, ctype.as_str()), (StatusCode::OK, "application/vnd.mapbox-vector-tile"));
        let z10 = layers(&body);
        let names: Vec<&str> = z10.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["sea", "land", "roads", "places"], "drawing order");
        let kota_labels: Vec<&str> = z10[3].1.iter().filter_map(|f| f.prop("label").and_then(Prop::as_str)).collect();
        assert!(kota_labels.contains(&"Jakarta Pusat"), "{kota_labels:?}");
        let c10 = classes(&z10[2].1);
        assert!(c10.contains("motorway") && c10.contains("primary"), "{c10:?}");
        assert!(c10.iter().all(|c| ["motorway", "trunk", "primary"].contains(&c.as_str())), "only arterials at z10: {c10:?}");

        // z15 at Monas: every street, with names; no sea inland.
        let (s, body, _) = get(&app, &url(tile_of(MONAS.0, MONAS.1, 15))).await;
        assert_eq!(s, StatusCode::OK);
        let z15 = layers(&body);
        assert!(z15.iter().all(|(n, _)| n != "sea"), "no sea at Monas");
        let roads = &z15.iter().find(|(n, _)| n == "roads").expect("roads").1;
        assert!(classes(roads).contains("residential"), "{:?}", classes(roads));
        assert!(roads.iter().any(|f| f.prop("name").and_then(Prop::as_str).is_some_and(|n| n.contains("Merdeka"))), "Medan Merdeka is named");
        assert!(roads.iter().all(|f| f.geom_type == 2 && f.rings.iter().all(|l| l.len() >= 2)), "lines of 2+ points");
        // Label points of every level shown at z15 (no RW loaded here), named and coded.
        let places = &z15.iter().find(|(n, _)| n == "places").expect("places").1;
        let levels: BTreeSet<&str> = places.iter().filter_map(|f| f.prop("level").and_then(Prop::as_str)).collect();
        assert!(levels.contains("kelurahan"), "{levels:?}");
        assert!(places.iter().all(|f| f.geom_type == 1 && f.prop("kode").is_some() && f.prop("label").and_then(Prop::as_str).is_some_and(|l| !l.is_empty())));

        // Open sea north of the coast (z12, 12 km off Tanjung Priok): sea only.
        let (s, body, _) = get(&app, &url(tile_of(106.90, -5.99, 12))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(layers(&body).iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["sea"]);
        // Nothing far away (Java's south coast).
        assert_eq!(get(&app, &url(tile_of(106.8, -7.8, 12))).await.0, StatusCode::NO_CONTENT);

        // TileJSON names its three layers and the licence.
        let (s, tj, _) = get(&app, "/tiles/basemap.json").await;
        assert_eq!(s, StatusCode::OK);
        let tj: serde_json::Value = serde_json::from_slice(&tj).unwrap();
        let ids: Vec<&str> = tj["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["sea", "land", "roads", "places"]);
        assert!(tj["attribution"].as_str().unwrap().contains("OpenStreetMap"));

        // Bad addresses are problems naming the field.
        for (uri, status, field) in [
            ("/tiles/basemap/21/0/0.mvt", 400, "z"),
            ("/tiles/basemap/3/9/0.mvt", 400, "x"),
            ("/tiles/basemap/3/0/zz.mvt", 400, "y"),
            ("/tiles/basemap/3/0/0.png", 404, "y"),
            ("/tiles/basemaps/3/0/0.mvt", 404, "layer"),
        ] {
            let (s, body, ctype) = get(&app, uri).await;
            assert_eq!((s.as_u16(), ctype.as_str()), (status, "application/problem+json"), "{uri}");
            let p: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(p["field"], field, "{uri}: {p}");
        }
    })
    .await;
}

#[tokio::test]
async fn without_a_road_file_the_basemap_has_land_and_sea_only() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let config = Config { roads: Some(root().join("data/roads/no-such-file.geojson")), ..Config::default() };
        let app = api::router(AppState::new(store, AtlasHandle::new(atlas), Arc::new(config)));
        let (s, body, _) = get(&app, &url(tile_of(MONAS.0, MONAS.1, 14))).await;
        assert_eq!(s, StatusCode::OK);
        let names: Vec<String> = layers(&body).into_iter().map(|(n, _)| n).collect();
        assert!(names.iter().all(|n| n == "land" || n == "places") && names.contains(&"land".to_string()), "{names:?}");
    })
    .await;
}

struct NoSites;

impl sigap::tiles::sites::SiteSource for NoSites {
    fn sites(&self, _: [f64; 4]) -> Vec<sigap::tiles::sites::Site> {
        Vec::new()
    }
}
