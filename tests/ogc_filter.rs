//! OGC API – Features Part 3 (queryables, CQL2 filters) on both stores: text and JSON encodings
//! select what the equivalent query parameters select, spatial functions agree with `bbox`,
//! `filter-crs`, paging keeps the filter, and bad filters are 400s naming `filter`.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::ogc::model::encode;
use sigap::store::testing;
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let res = app.clone().oneshot(Request::get(uri).header("host", "ogc.test").body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn ids(v: &Value) -> Vec<String> {
    v["features"].as_array().unwrap_or_else(|| panic!("{v}")).iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

async fn filtered(app: &axum::Router, coll: &str, filter: &str, extra: &str) -> Vec<String> {
    let (s, v) = get(app, &format!("/ogc/collections/{coll}/items?limit=10000&filter={}{extra}", encode(filter))).await;
    assert_eq!(s, StatusCode::OK, "{filter}: {v}");
    ids(&v)
}

#[tokio::test]
async fn cql2_text_and_json_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        sigap::bansos::load_demo(&store, &atlas, &|_, _| {}).await.unwrap();
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));

        let (_, q) = get(&app, "/ogc/collections/rw/queryables").await;
        assert_eq!(q["properties"]["geometry"]["format"], "geometry-multipolygon");
        let (_, conf) = get(&app, "/ogc/conformance").await;
        for c in ["ogcapi-features-3/1.0/conf/filter", "cql2/1.0/conf/basic-cql2", "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/cql2-json", "cql2/1.0/conf/basic-spatial-functions"] {
            assert!(conf["conformsTo"].as_array().unwrap().iter().any(|x| x.as_str().unwrap().ends_with(c)), "{c}");
        }

        // Comparisons: the text filter, its JSON twin and the query parameters agree.
        let (_, by_param) = get(&app, "/ogc/collections/kelurahan/items?induk=31.71.01&limit=100").await;
        let want = ids(&by_param);
        assert!(!want.is_empty());
        assert_eq!(filtered(&app, "kelurahan", "induk = '31.71.01'", "").await, want);
        let j = json!({"op": "=", "args": [{"property": "induk"}, "31.71.01"]}).to_string();
        assert_eq!(filtered(&app, "kelurahan", &j, "&filter-lang=cql2-json").await, want);
        let some = filtered(&app, "rw", "served_kk > 0 AND percent >= 50 OR target_kk = 0", "").await;
        let (_, all) = get(&app, "/ogc/collections/rw/items?limit=10000").await;
        let by_hand: Vec<String> = all["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                let p = &f["properties"];
                (p["served_kk"].as_u64().unwrap() > 0 && p["percent"].as_f64().is_some_and(|x| x >= 50.0)) || p["target_kk"] == 0
            })
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(some, by_hand);

        // Spatial: S_INTERSECTS with a BBOX equals the bbox parameter; WKT polygons and JSON too.
        let (_, by_bbox) = get(&app, "/ogc/collections/rw/items?bbox=106.82,-6.18,106.83,-6.17&limit=1000").await;
        let want = ids(&by_bbox);
        assert!(!want.is_empty());
        assert_eq!(filtered(&app, "rw", "S_INTERSECTS(geometry, BBOX(106.82, -6.18, 106.83, -6.17))", "").await, want);
        assert_eq!(filtered(&app, "rw", "S_INTERSECTS(geometry, POLYGON((106.82 -6.18, 106.83 -6.18, 106.83 -6.17, 106.82 -6.17, 106.82 -6.18)))", "").await, want);
        let j = json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [[[106.82, -6.18], [106.83, -6.18], [106.83, -6.17], [106.82, -6.17], [106.82, -6.18]]]}]}).to_string();
        assert_eq!(filtered(&app, "rw", &j, "&filter-lang=cql2-json").await, want);
        // Within: only the RW wholly inside the box, a subset.
        let within = filtered(&app, "rw", "S_WITHIN(geometry, BBOX(106.82, -6.18, 106.83, -6.17))", "").await;
        assert!(within.len() < want.len() && within.iter().all(|w| want.contains(w)), "{within:?}");
        // The point of Monas is in Gambir.
        assert_eq!(filtered(&app, "kelurahan", "S_INTERSECTS(geometry, POINT(106.8272 -6.1754))", "").await, ["31.71.01.1001"]);
        // filter-crs: the same point in EPSG:23834 (E 236 210.354, N 817 190.290, from cs2cs).
        assert_eq!(filtered(&app, "kelurahan", "S_INTERSECTS(geometry, POINT(236210.354 817190.290))", "&filter-crs=http://www.opengis.net/def/crs/EPSG/0/23834").await, ["31.71.01.1001"]);

        // Paging keeps the filter.
        let f = encode("S_INTERSECTS(geometry, BBOX(106.82, -6.18, 106.83, -6.17))");
        let (_, p1) = get(&app, &format!("/ogc/collections/rw/items?limit=2&filter={f}")).await;
        let next = p1["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").unwrap()["href"].as_str().unwrap().strip_prefix("http://ogc.test").unwrap().to_string();
        let (_, p2) = get(&app, &next).await;
        assert_eq!(p2["numberMatched"].as_u64().unwrap() as usize, want.len());
        assert_eq!(ids(&p2), want[2..4.min(want.len())]);

        // Bad filters: 400 naming the parameter, saying what is wrong.
        for (query, field, says) in [
            (format!("filter={}", encode("nama = ")), "filter", "not CQL2 text at 1:8"),
            (format!("filter={}", encode("secret = 1")), "filter", "not queryable"),
            (format!("filter={}", encode("served_kk = 'banyak'")), "filter", "is a number"),
            (format!("filter={}", encode("nama LIKE 'A%'")), "filter", "advanced comparison"),
            (format!("filter={}", encode("S_INTERSECTS(geometry, POINT(106.8))")), "filter", "valid WKT"),
            (format!("filter={}&filter-lang=cql2-json", encode("{\"op\": \"=\"")), "filter", "not JSON"),
            (format!("filter={}&filter-lang=ecql", encode("nama = 'x'")), "filter-lang", "cql2-text"),
            (format!("filter={}&filter-crs=EPSG:9999", encode("nama = 'x'")), "filter-crs", "unknown"),
            ("filter-lang=cql2-text".to_string(), "filter-lang", "needs a filter"),
        ] {
            let (s, v) = get(&app, &format!("/ogc/collections/rw/items?{query}")).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {v}");
            assert_eq!(v["field"], field, "{query}: {v}");
            assert!(v["detail"].as_str().unwrap().contains(says), "{query}: {v}");
        }
    })
    .await;
}
