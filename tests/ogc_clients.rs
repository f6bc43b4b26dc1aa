//! Real OGC API – Features clients against a real `sigap serve`, on both stores: GDAL's OAPIF
//! driver (`ogrinfo` lists the collections, `ogr2ogr` pages through every RW into a GeoPackage,
//! `-spat` returns what PostGIS `ST_Intersects` returns) and OWSLib (installed into a venv by
//! `scripts/py-setup.sh` from pinned requirements), CQL2 text and JSON filters and
//! a Part 4 create → update → stale update (412) → delete included (an RW and a KSBB site).

mod common;
use common::*;
use serde_json::Value;
use sigap::store::{testing, Store};
use sigap::wilayah::{AreaCode, Level};
use std::collections::BTreeSet;
use std::process::Command;

/// Runs a GDAL/Python command, returning stdout; fails the test with stderr on error.
fn run(cmd: &mut Command) -> String {
    let out = cmd.env("NO_PROXY", "127.0.0.1").env("no_proxy", "127.0.0.1").output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Ids (`kode` or `id`) of a GeoJSON FeatureCollection text.
fn ids(geojson: &str, field: &str) -> BTreeSet<String> {
    let v: Value = serde_json::from_str(geojson).unwrap_or_else(|e| panic!("{e}: {geojson}"));
    v["features"].as_array().unwrap().iter().map(|f| f["properties"][field].as_str().unwrap_or_else(|| panic!("no {field}: {f}")).to_string()).collect()
}

const SPAT: [&str; 4] = ["106.82", "-6.18", "106.83", "-6.17"];

/// The RW codes that intersect the SPAT box by the store's own engine: PostGIS `ST_Intersects`,
/// or for the GeoPackage GDAL reading the file itself (GEOS).
async fn reference_bbox(store: &Store, url: &str) -> BTreeSet<String> {
    match store {
        Store::Postgis(p) => {
            let sql = format!("SELECT kode FROM rw WHERE ST_Intersects(geom, ST_MakeEnvelope({}, {}, {}, {}, 4326))", SPAT[0], SPAT[1], SPAT[2], SPAT[3]);
            let rows: Vec<String> = sqlx::query_scalar(&sql).fetch_all(p).await.unwrap();
            rows.into_iter().collect()
        }
        Store::Gpkg(_) => ids(&run(Command::new("ogr2ogr").args(["-f", "GeoJSON", "/vsistdout/", url, "rw", "-spat"]).args(SPAT)), "kode"),
    }
}

#[tokio::test]
async fn gdal_and_owslib_read_every_collection_on_both_stores() {
    let python = run(&mut Command::new(root().join("scripts/py-setup.sh"))).trim().to_string();
    testing::for_each_store(|store| {
        let python = python.clone();
        async move {
            let kind = store.kind();
            load_shipped(&store, Level::Rw).await;
            let atlas = atlas(&store).await;
            sigap::bansos::load_demo(&store, &atlas, &|_, _| {}).await.unwrap();
            let rw_count = atlas.len(Level::Rw);
            let url = testing::url_of(&store);
            let expected_bbox = reference_bbox(&store, &url).await;
            assert!(!expected_bbox.is_empty());
            let admin = sigap::store::tokens::create(&store, "admin", None, None).await.unwrap();
            let server = serve(&url);
            let base = format!("http://{}/ogc", server.addr);
            let oapif = format!("OAPIF:{base}");

            // ogrinfo lists every collection.
            let listing = run(Command::new("ogrinfo").args(["-ro", "-q", &oapif]));
            for c in ["kota", "kecamatan", "kelurahan", "rw", "pengaduan", "gudang", "lokasi_umkm"] {
                assert!(listing.lines().any(|l| l.split(':').nth(1).is_some_and(|n| n.trim().starts_with(c))), "{kind}: {c} missing in\n{listing}");
            }

            // ogr2ogr pages through all RW into a GeoPackage: same count, same geometries.
            let tmp = std::env::temp_dir().join(format!("ogc_clients_{}_{kind}", std::process::id()));
            std::fs::create_dir_all(&tmp).unwrap();
            let out = tmp.join("rw.gpkg");
            let _ = std::fs::remove_file(&out);
            run(Command::new("ogr2ogr").args(["-f", "GPKG"]).arg(&out).args([&oapif, "rw"]));
            let info = run(Command::new("ogrinfo").args(["-ro", "-so"]).arg(&out).arg("rw"));
            assert!(info.contains(&format!("Feature Count: {rw_count}")), "{kind}: {info}");
            for code in ["31.71.01.1001.001", "31.74.01.1001.005", "31.75.01.1001.002"] {
                let area = atlas.get(&AreaCode::parse(code).unwrap()).unwrap_or_else(|| panic!("{code} not in the shipped RW layer"));
                let got = run(Command::new("ogr2ogr").args(["-f", "GeoJSON", "/vsistdout/"]).arg(&out).args(["rw", "-where", &format!("kode = '{code}'")]));
                let v: Value = serde_json::from_str(&got).unwrap();
                let g: geojson::Geometry = serde_json::from_value(v["features"][0]["geometry"].clone()).unwrap();
                let g: geo::Geometry<f64> = g.try_into().unwrap();
                let g = match g {
                    geo::Geometry::MultiPolygon(m) => m,
                    geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
                    other => panic!("{kind}: {code} came back as {other:?}"),
                };
                let (a, b): (Vec<_>, Vec<_>) = (area.geometry.0.iter().flat_map(|p| p.exterior().coords().copied()).collect(), g.0.iter().flat_map(|p| p.exterior().coords().copied()).collect());
                assert_eq!(a.len(), b.len(), "{kind}: {code}");
                assert!(a.iter().zip(&b).all(|(x, y)| (x.x - y.x).abs() < 1e-9 && (x.y - y.y).abs() < 1e-9), "{kind}: {code} geometry differs");
            }

            // -spat: the bbox query returns what the store's own engine says.
            let spat = run(Command::new("ogr2ogr").args(["-f", "GeoJSON", "/vsistdout/", &oapif, "rw", "-spat"]).args(SPAT));
            assert_eq!(ids(&spat, "kode"), expected_bbox, "{kind}");

            // OWSLib.
            let owslib = run(Command::new(&python).arg(root().join("tests/ogc/owslib_check.py")).arg(&base).arg(&admin));
            let o: Value = serde_json::from_str(&owslib).unwrap_or_else(|e| panic!("{e}: {owslib}"));
            assert_eq!(o["collections"], serde_json::json!(["kota", "kecamatan", "kelurahan", "rw", "pengaduan", "gudang", "lokasi_umkm"]), "{kind}");
            assert!(o["conformance"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().ends_with("/conf/core")));
            assert_eq!(o["kelurahan_matched"].as_u64().unwrap() as usize, atlas.list(Level::Kelurahan, Some(&AreaCode::parse("31.71.01").unwrap())).len());
            assert!(o["queryables"].as_array().unwrap().iter().any(|q| q == "served_kk"));
            let owslib_bbox: BTreeSet<String> = o["rw_bbox"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            assert_eq!(owslib_bbox, expected_bbox, "{kind}");
            assert_eq!(o["bad_limit"], "limit", "{kind}");
            assert_eq!(o["filter_text_ids"], o["kelurahan_ids"], "{kind}: CQL2 text equals the query parameter");
            let json_ids: BTreeSet<String> = o["filter_json_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            assert_eq!(json_ids, expected_bbox, "{kind}: CQL2 JSON S_INTERSECTS equals ST_Intersects");
            // Part 4 through OWSLib: create, update with If-Match, stale update refused, delete.
            assert_eq!(o["updated_nama"], "RW 099 Baru", "{kind}: {o}");
            assert_eq!(o["stale_update"], 412, "{kind}: {o}");
            assert_eq!(o["deleted"], true, "{kind}: {o}");
            let trail: Vec<String> = sigap::store::audit::history(&store, "rw", "31.71.01.1001.099").await.unwrap().into_iter().map(|r| r.action).collect();
            assert_eq!(trail, ["create", "update", "delete"], "{kind}");
            // Part 4 on a KSBB site: refusals named, then create → update → 412 → delete (retired).
            assert_eq!(o["site_refused"], serde_json::json!({"sea": [422, "geometry", "site-at-sea"], "swapped": [422, "geometry", "coordinates-swapped"]}), "{kind}: {o}");
            assert_eq!(o["site_kapasitas"], 45, "{kind}: {o}");
            assert_eq!(o["site_stale_update"], 412, "{kind}: {o}");
            assert_eq!(o["site_deleted"], true, "{kind}: {o}");
            let trail: Vec<String> = sigap::store::audit::history(&store, "ksbb_site", "LOKBIN-OWSLIB-1").await.unwrap().into_iter().map(|r| r.action).collect();
            assert_eq!(trail, ["ksbb.site.create", "ksbb.site.edit", "ksbb.site.retire"], "{kind}");
            assert_eq!(o["kota_one"], atlas.get(&AreaCode::parse("31.71").unwrap()).unwrap().name.as_str());

            drop(server);
            let _ = std::fs::remove_dir_all(&tmp);
        }
    })
    .await;
}
