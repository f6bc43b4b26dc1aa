//! OGC API – Features Part 2 (CRS by reference) on both stores: every offered CRS against the
//! reference transform of this machine (`cs2cs`, PROJ), EPSG:4326 in lat/lon order, `bbox-crs`
//! selecting what the same box in CRS84 selects, `Content-Crs`, and unknown CRS refused by name.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::Value;
use sigap::api::{self, AppState, Config};
use sigap::ogc::crs::Crs;
use sigap::store::testing;
use sigap::wilayah::{AtlasHandle, Level};
use std::process::Command;
use std::sync::Arc;
use tower::ServiceExt;

/// Points across Jakarta (Monas, Kepulauan Seribu, Tanjung Priok, the south edge), lon/lat.
const POINTS: [(f64, f64); 4] = [(106.8272, -6.1754), (106.5200, -5.6000), (106.8800, -6.1000), (106.8000, -6.3700)];

/// `cs2cs` (PROJ) as the reference: lon/lat in, easting/northing out.
fn cs2cs(epsg: &str, lon: f64, lat: f64) -> (f64, f64) {
    let out = Command::new("cs2cs")
        .args(["-f", "%.6f", "EPSG:4326", epsg])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            // EPSG:4326 input is lat lon for PROJ too.
            writeln!(c.stdin.take().expect("stdin"), "{lat} {lon}")?;
            c.wait_with_output()
        })
        .expect("run cs2cs (proj-bin)");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<f64> = text.split_whitespace().filter_map(|t| t.parse().ok()).collect();
    (v[0], v[1])
}

#[test]
fn projections_match_proj() {
    for (crs, epsg) in [(Crs::Epsg3857, "EPSG:3857"), (Crs::Epsg32748, "EPSG:32748"), (Crs::Epsg23834, "EPSG:23834")] {
        for (lon, lat) in POINTS {
            let (e, n) = crs.point_from_crs84(lon, lat).unwrap();
            let (re, rn) = cs2cs(epsg, lon, lat);
            assert!((e - re).abs() < 0.001 && (n - rn).abs() < 0.001, "{epsg} {lon},{lat}: ours {e},{n}, PROJ {re},{rn}");
            let (x, y) = crs.point_to_crs84(re, rn).unwrap();
            assert!((x - lon).abs() < 1e-8 && (y - lat).abs() < 1e-8, "{epsg} inverse: {x},{y}");
        }
    }
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Option<String>, Value) {
    let res = app.clone().oneshot(Request::get(uri).header("host", "ogc.test").body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let crs = res.headers().get("content-crs").and_then(|v| v.to_str().ok()).map(str::to_string);
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, crs, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn ids(v: &Value) -> Vec<String> {
    v["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn crs_and_bbox_crs_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));

        let col = get(&app, "/ogc/collections/kelurahan").await.2;
        let offered: Vec<&str> = col["crs"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(offered, Crs::ALL.map(|c| c.uri()));
        assert_eq!(col["storageCrs"], Crs::Crs84.uri());
        let conf = get(&app, "/ogc/conformance").await.2;
        assert!(conf["conformsTo"].as_array().unwrap().iter().any(|c| c == "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"));

        // The same feature in each CRS: Content-Crs names it; 4326 is lat, lon; projected ones match PROJ.
        let (_, h84, f84) = get(&app, "/ogc/collections/kota/items/31.71").await;
        assert_eq!(h84.as_deref(), Some("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"));
        let first = |v: &Value| -> (f64, f64) {
            let c = &v["geometry"]["coordinates"][0][0][0];
            (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
        };
        let (lon, lat) = first(&f84);
        let (s, h, f) = get(&app, "/ogc/collections/kota/items/31.71?crs=http://www.opengis.net/def/crs/EPSG/0/4326").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h.as_deref(), Some("<http://www.opengis.net/def/crs/EPSG/0/4326>"));
        assert_eq!(first(&f), (lat, lon), "EPSG:4326 is lat/lon");
        for (crs, epsg) in [(Crs::Epsg3857, "EPSG:3857"), (Crs::Epsg32748, "EPSG:32748"), (Crs::Epsg23834, "EPSG:23834")] {
            let (s, h, f) = get(&app, &format!("/ogc/collections/kota/items/31.71?crs={}", crs.uri())).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(h.as_deref(), Some(crs.header()));
            let (e, n) = first(&f);
            let (re, rn) = cs2cs(epsg, lon, lat);
            assert!((e - re).abs() < 0.001 && (n - rn).abs() < 0.001, "{epsg}: {e},{n} vs {re},{rn}");
        }

        // bbox-crs: the Monas box in UTM 48S and in lat/lon order selects what it selects in CRS84.
        let (_, _, want) = get(&app, "/ogc/collections/kelurahan/items?bbox=106.82,-6.18,106.83,-6.17&limit=100").await;
        let want = ids(&want);
        assert!(want.contains(&"31.71.01.1001".to_string()));
        let (_, _, latlon) = get(&app, "/ogc/collections/kelurahan/items?bbox=-6.18,106.82,-6.17,106.83&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326&limit=100").await;
        assert_eq!(ids(&latlon), want);
        let (e0, n0) = cs2cs("EPSG:32748", 106.82, -6.18);
        let (e1, n1) = cs2cs("EPSG:32748", 106.83, -6.17);
        let uri = format!("/ogc/collections/kelurahan/items?bbox={e0},{n0},{e1},{n1}&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/32748&limit=100&crs=http://www.opengis.net/def/crs/EPSG/0/32748");
        let (s, h, utm) = get(&app, &uri).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h.as_deref(), Some(Crs::Epsg32748.header()));
        let got = ids(&utm);
        // A UTM box is not exactly the degree box: every degree-box hit is in, at most neighbours more.
        assert!(want.iter().all(|w| got.contains(w)), "{got:?} ⊉ {want:?}");
        assert!(got.len() <= want.len() + 2, "{got:?} vs {want:?}");
        assert!(utm["features"][0]["geometry"]["coordinates"][0][0][0][0].as_f64().unwrap() > 600_000.0, "eastings in metres");

        // Unknown CRS, a bbox-crs without bbox: 400 naming the parameter.
        for (uri, field) in [
            ("/ogc/collections/kota/items?crs=http://www.opengis.net/def/crs/EPSG/0/23836", "crs"),
            ("/ogc/collections/kota/items/31.71?crs=EPSG:9999", "crs"),
            ("/ogc/collections/kota/items?bbox=1,2,3,4&bbox-crs=urn:ogc:def:crs:EPSG::3395", "bbox-crs"),
            ("/ogc/collections/kota/items?bbox-crs=EPSG:4326", "bbox-crs"),
        ] {
            let (s, _, v) = get(&app, uri).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {v}");
            assert_eq!(v["field"], field, "{uri}: {v}");
        }
    })
    .await;
}
