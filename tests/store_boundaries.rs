//! The foundation's store behaviour, run against both stores: the shipped layers import, the
//! atlas built from each store answers the landmark test, a bad import changes nothing, and the
//! GeoPackage opens in GDAL.

mod common;
use common::*;
use sigap::cli::boundaries::{import_features, ImportError};
use sigap::store::{audit, boundaries, testing};
use sigap::wilayah::geojson_io::read_features;
use sigap::wilayah::import::ImportOptions;
use sigap::wilayah::{AreaCode, Level, Method};

const LANDMARKS: &[(&str, f64, f64, &str)] = &[
    ("Monas", 106.8272, -6.1754, "Gambir"),
    ("Bundaran HI", 106.8230, -6.1950, "Menteng"),
    ("Kota Tua (Taman Fatahillah)", 106.8133, -6.1352, "Pinangsia"),
    ("Kebun Binatang Ragunan", 106.8206, -6.3125, "Ragunan"),
    ("Pulau Pramuka", 106.6153, -5.7453, "Pulau Panggang"),
];

/// Points whose RW was read by hand from the 2012 source polygons
/// (`ogrinfo -ro -q data/wilayah/rw-2012/rw_jakarta.geojson -spat X Y X Y -dialect sqlite -sql
/// "select KEC_NAME, KEL_NAME, RW from rw_jakarta where ST_Intersects(geometry, MakePoint(X, Y, 4326))"`),
/// with the RW code the shipped (fitted) layer must give.
const RW_POINTS: &[(&str, f64, f64, &str, &str)] = &[
    // (place, lon, lat, source KEC / KEL / RW, expected RW code)
    ("Monas", 106.8272, -6.1754, "GAMBIR / GAMBIR / RW 02", "31.71.01.1001.002"),
    ("Bundaran HI", 106.8230, -6.1950, "MENTENG / MENTENG / RW 05", "31.71.06.1001.005"),
    ("Kota Tua", 106.8133, -6.1352, "TAMAN SARI / PINANGSIA / RW 06", "31.73.03.1008.006"),
    ("Pasar Tanah Abang", 106.8133, -6.1870, "TANAH ABANG / KAMPUNG BALI / RW 06", "31.71.07.1007.006"),
    ("Stasiun Manggarai", 106.8501, -6.2099, "TEBET / MANGGARAI / RW 04", "31.74.01.1007.004"),
    ("Pasar Minggu", 106.8433, -6.2838, "PASAR MINGGU / PASAR MINGGU / RW 01", "31.74.04.1001.001"),
    ("Ragunan", 106.8206, -6.3125, "PASAR MINGGU / RAGUNAN / RW 07", "31.74.04.1004.007"),
    // The source draws PISANGAN BARU RW 08 over this point, but it lies in Rawa Bunga in the 2025
    // kelurahan layer: the fit clips RW 08 to Pisangan Baru, and the point takes Rawa Bunga's RW.
    ("Stasiun Jatinegara", 106.8700, -6.2150, "MATRAMAN / PISANGAN BARU / RW 08", "31.75.03.1004.004"),
];

#[tokio::test]
async fn shipped_layers_landmarks_and_counts_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Rw).await;
        let atlas = atlas(&store).await;
        assert_eq!(atlas.len(Level::Kota), 6, "{}", store.kind());
        assert_eq!(atlas.len(Level::Kecamatan), 44, "{}", store.kind());
        assert_eq!(atlas.len(Level::Kelurahan), 267, "{}", store.kind());
        let rw = atlas.len(Level::Rw);
        assert!((2_500..=2_900).contains(&rw), "{} RW on {}", rw, store.kind());
        for (place, lon, lat, expected) in LANDMARKS {
            let loc = atlas.locate(*lon, *lat).unwrap();
            let kel = loc.kelurahan.as_ref().unwrap();
            assert_eq!(kel.nama, *expected, "{place} on {}: {loc:?}", store.kind());
            assert!(matches!(loc.method, Method::Inside | Method::Overlap | Method::Gap), "{place}: {loc:?}");
            let rw = loc.rw.as_ref().expect("an RW");
            assert!(rw.kode.starts_with(&kel.kode), "{place}: RW {} not in {}", rw.kode, kel.kode);
            assert!(loc.kota.is_some() && loc.kecamatan.is_some());
        }
        for (place, lon, lat, source, expected) in RW_POINTS {
            let loc = atlas.locate(*lon, *lat).unwrap();
            let rw = loc.rw.as_ref().expect("an RW");
            assert_eq!(rw.kode, *expected, "{place} (source: {source}) on {}", store.kind());
            let area = atlas.get(&AreaCode::parse(expected).unwrap()).unwrap();
            assert!(!area.generated, "{place}: a real RW");
        }
        // Kepulauan Seribu has no real RW: its RW stay generated.
        let seribu = atlas.locate(106.6153, -5.7453).unwrap().rw.unwrap();
        assert!(atlas.get(&AreaCode::parse(&seribu.kode).unwrap()).unwrap().generated);
        let real = atlas.list(Level::Rw, None).iter().filter(|a| !a.generated).count();
        assert_eq!((real, rw - real), (2_591, 16), "real and generated RW on {}", store.kind());
        // Each RW says where it comes from: the 2012 source (year 2012) or the generator (no year).
        for a in atlas.list(Level::Rw, None) {
            let expected = if a.generated { (Some("generated"), None) } else { (Some("inasafe-osm-2012"), Some(2012)) };
            assert_eq!((a.source.as_deref(), a.year), expected, "{} on {}", a.code, store.kind());
        }
        // The importer's audit trail: one create per area, with the geometry after.
        let hist = audit::history(&store, "kelurahan", "31.71.01.1001").await.unwrap();
        assert_eq!(hist.len(), 1);
        assert_eq!(hist[0].action, "create");
        assert!(hist[0].after.as_ref().unwrap()["geometry"]["type"] == "MultiPolygon");

        // Re-importing the same layer changes nothing.
        let (_, stats) = sigap::cli::boundaries::import_path(
            &store,
            &root().join("data/wilayah/kecamatan.geojson"),
            &ImportOptions::new(Level::Kecamatan),
            "test",
        )
        .await
        .unwrap();
        assert_eq!((stats.created, stats.updated, stats.unchanged), (0, 0, 44));
    })
    .await;
}

fn square(lon: f64, lat: f64, d: f64) -> serde_json::Value {
    serde_json::json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]})
}

#[tokio::test]
async fn rejected_import_changes_nothing_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let before = boundaries::load_level(&store, Level::Kelurahan).await.unwrap();
        let gambir = AreaCode::parse("31.71.01.1001").unwrap();
        // One good update of Gambir (would move it) and one bad feature: the whole file must be refused.
        let fc = serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"kode": "31.71.01.1001", "nama": "Gambir"}, "geometry": square(106.82, -6.18, 0.01)},
            {"type": "Feature", "properties": {"kode": "31.71.01.1002", "nama": "Swapped"}, "geometry": square(-6.18, 106.82, 0.01)}
        ]});
        let features = read_features(&fc.to_string()).unwrap();
        let err = import_features(&store, features, &ImportOptions::new(Level::Kelurahan), "test", false).await.unwrap_err();
        let ImportError::Rejected(report) = err else { panic!("expected rejection") };
        assert_eq!(report.rejected.len(), 1);
        assert!(report.rejected[0].reason.contains("lat, lon order"), "{}", report.rejected[0].reason);
        let after = boundaries::load_level(&store, Level::Kelurahan).await.unwrap();
        assert_eq!(before.len(), after.len());
        let g0 = &before.iter().find(|a| a.code == gambir).unwrap().geometry;
        let g1 = &after.iter().find(|a| a.code == gambir).unwrap().geometry;
        assert_eq!(g0, g1, "Gambir changed on {} despite the rejection", store.kind());
        assert_eq!(audit::history(&store, "kelurahan", "31.71.01.1001").await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn importer_reports_each_kind_of_bad_feature() {
    let store = testing::gpkg().await;
    load_shipped(&store, Level::Kecamatan).await;
    // Inside kecamatan Gambir (the territory check holds a kelurahan to its kecamatan).
    let bowtie = serde_json::json!({"type": "Polygon", "coordinates": [[[106.82, -6.17], [106.83, -6.18], [106.83, -6.17], [106.82, -6.18], [106.82, -6.17]]]});
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kode": "31.71.01.1001", "nama": "Bowtie"}, "geometry": bowtie},
        {"type": "Feature", "properties": {"kode": "31.71.01.1001", "nama": "Dup"}, "geometry": square(106.82, -6.18, 0.001)},
        {"type": "Feature", "properties": {"kode": "31.99.01.1001", "nama": "No parent"}, "geometry": square(106.82, -6.18, 0.001)},
        {"type": "Feature", "properties": {"kode": "31.71.01", "nama": "Wrong level"}, "geometry": square(106.82, -6.18, 0.001)},
        {"type": "Feature", "properties": {"kode": "3171011003", "nama": "No dots"}, "geometry": square(106.82, -6.18, 0.001)},
        {"type": "Feature", "properties": {"kode": "31.71.01.1004", "nama": "Bandung"}, "geometry": square(107.60, -6.90, 0.001)},
        {"type": "Feature", "properties": {"kode": "31.71.01.1005", "nama": "Line"}, "geometry": {"type": "LineString", "coordinates": [[106.8, -6.2], [106.81, -6.2]]}},
        {"type": "Feature", "properties": {"kode": "31.71.01.1006"}, "geometry": square(106.82, -6.18, 0.001)}
    ]});
    let (areas, report) = sigap::wilayah::import::validate(
        read_features(&fc.to_string()).unwrap(),
        &ImportOptions::new(Level::Kelurahan),
        &atlas(&store).await,
        &|_, _, _| {},
    );
    let reasons: Vec<String> = report.rejected.iter().map(|r| r.reason.clone()).collect();
    assert_eq!(report.repaired.len(), 1, "bowtie repaired: {:?}", report.repaired);
    assert_eq!(areas.len(), 1, "only the repaired bowtie passes: {reasons:?}");
    for needle in ["duplicate code", "parent 31.99.01 is not loaded", "is a kecamatan code", "not a Kemendagri area code", "outside Jakarta", "Polygon or MultiPolygon", "(name) is missing"] {
        assert!(reasons.iter().any(|r| r.contains(needle)), "no rejection mentions {needle:?}: {reasons:?}");
    }
    assert!(!report.ok());
    // A wrong CRS is refused before any feature is read.
    let crs = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:32748"}},"features":[]}"#;
    assert!(read_features(crs).unwrap_err().to_string().contains("EPSG:32748"));
    assert!(read_features("{not json").is_err());
    // A shapefile exported in UTM 48S without a declared CRS: named as projected, not "outside Jakarta".
    let utm = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kode":"31.71","nama":"X"},"geometry":{"type":"Polygon","coordinates":[[[700000,9300000],[701000,9300000],[701000,9301000],[700000,9300000]]]}}]}"#;
    let e = read_features(utm).unwrap_err().to_string();
    assert!(e.contains("declares no CRS") && e.contains("700000"), "{e}");
}

#[tokio::test]
async fn geopackage_opens_in_gdal_with_the_layers() {
    let path = shipped_gpkg_file("ogr").await;
    let out = std::process::Command::new("ogrinfo").arg("-so").arg("-al").arg(&path).output().expect("ogrinfo (gdal-bin) must be installed; scripts/test.sh installs it");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ogrinfo failed: {}", String::from_utf8_lossy(&out.stderr));
    for (layer, count) in [("kota", 6), ("kecamatan", 44), ("kelurahan", 267)] {
        assert!(text.contains(&format!("Layer name: {layer}")), "{text}");
        let block = text.split("Layer name: ").find(|b| b.starts_with(layer)).unwrap();
        assert!(block.contains(&format!("Feature Count: {count}")), "{layer}: {block}");
        assert!(block.contains("Multi Polygon"), "{layer}: {block}");
        assert!(block.contains("4326"), "{layer} SRS: {block}");
    }
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn geopackage_layers_import_through_the_same_command() {
    // A GeoPackage written by one store is a valid source for the importer of the other.
    let src_path = shipped_gpkg_file("src").await;
    let dst = testing::postgis().await;
    for level in [Level::Kota, Level::Kecamatan, Level::Kelurahan] {
        let (report, stats) = sigap::cli::boundaries::import_path(&dst, &src_path, &ImportOptions::new(level), "test").await.unwrap();
        assert!(report.ok());
        assert_eq!(stats.created, report.features);
    }
    assert_eq!(atlas(&dst).await.len(Level::Kelurahan), 267);
    // An empty layer is refused, a missing layer is named.
    let err = sigap::cli::boundaries::import_path(&dst, &src_path, &ImportOptions::new(Level::Rw), "test").await.unwrap_err();
    assert!(err.to_string().contains("rejected"), "{err}");
    let err = sigap::cli::boundaries::read_file(&src_path, "nope", "kode", "nama").await.unwrap_err();
    assert!(err.to_string().contains("no feature layer `nope`"), "{err}");
    let _ = std::fs::remove_file(&src_path);
}

/// A closed GeoPackage file holding the shipped kota, kecamatan and kelurahan layers.
async fn shipped_gpkg_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::var("SIGAP_TEST_TMP").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let path = dir.join(format!("{name}_{}.gpkg", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let store = sigap::store::Store::open(&path.display().to_string()).await.unwrap();
    load_shipped(&store, Level::Kelurahan).await;
    store.close().await;
    path
}

/// The importer replacing loaded areas holds them to the territory like the HTTP edit does:
/// a kelurahan in Bekasi and an RW moved into another kelurahan are refused with the reason,
/// the whole file with them, and nothing changes; a small edit of the same RW is stored.
#[tokio::test]
async fn import_replacing_areas_is_held_to_the_territory_on_both_stores() {
    testing::for_each_store(|store| async move {
        let kind = store.kind();
        load_shipped(&store, Level::Rw).await;
        let rev0 = boundaries::revision(&store).await.unwrap();
        let kel = serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"kode": "31.75.06.1001", "nama": "Jatinegara"}, "geometry": square(106.995, -6.245, 0.01)}
        ]});
        let err = import_features(&store, read_features(&kel.to_string()).unwrap(), &ImportOptions::new(Level::Kelurahan), "test", false).await.unwrap_err();
        let ImportError::Rejected(report) = err else { panic!("expected rejection on {kind}") };
        assert!(report.rejected[0].reason.contains("outside DKI Jakarta"), "{kind}: {}", report.rejected[0].reason);

        let atlas = atlas(&store).await;
        let rw_code = AreaCode::parse("31.71.01.1001.001").unwrap();
        let rw = atlas.get(&rw_code).unwrap().clone();
        // 2 km east, into another kelurahan of Jakarta Pusat.
        let moved = serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"kode": "31.71.01.1001.001", "nama": "RW 001"}, "geometry": square(106.845, -6.180, 0.004)}
        ]});
        let opts = ImportOptions { generated: true, ..ImportOptions::new(Level::Rw) };
        let err = import_features(&store, read_features(&moved.to_string()).unwrap(), &opts, "test", false).await.unwrap_err();
        let ImportError::Rejected(report) = err else { panic!("expected rejection on {kind}") };
        assert!(report.rejected[0].reason.contains("outside its kelurahan 31.71.01.1001"), "{kind}: {}", report.rejected[0].reason);
        assert_eq!(boundaries::revision(&store).await.unwrap(), rev0, "{kind}: a refusal writes nothing");
        assert_eq!(audit::history(&store, "rw", "31.71.01.1001.001").await.unwrap().len(), 1, "{kind}");

        // The same RW with its first vertex moved ≈ 20 m: accepted and stored.
        let mut g = rw.geometry.clone();
        g.0[0].exterior_mut(|r| {
            let last = r.0.len() - 1;
            r.0[0].x += 0.0002;
            r.0[last].x += 0.0002;
        });
        let small = serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"kode": "31.71.01.1001.001", "nama": rw.name}, "geometry": geojson::Geometry::new(geojson::Value::from(&g))}
        ]});
        let (_, stats) = import_features(&store, read_features(&small.to_string()).unwrap(), &opts, "test", false).await.unwrap();
        assert_eq!(stats.updated, 1, "{kind}");
        assert_eq!(boundaries::revision(&store).await.unwrap(), rev0 + 1, "{kind}");
    })
    .await;
}

/// Source and year are stored per feature: a feature's own `sumber`/`tahun` win over the import's
/// options; a bad key or year refuses the whole file naming the property, and writes nothing; a
/// change of source alone is an update (audited), the same again is unchanged.
#[tokio::test]
async fn import_stores_source_and_year_per_feature_on_both_stores() {
    testing::for_each_store(|store| async move {
        let kind = store.kind();
        load_shipped(&store, Level::Rw).await;
        let atlas0 = atlas(&store).await;
        let (one, two) = ("31.71.01.1001.001", "31.71.01.1001.002");
        let feature = |kode: &str, extra: serde_json::Value| {
            let a = atlas0.get(&AreaCode::parse(kode).unwrap()).unwrap();
            let mut p = serde_json::json!({"kode": kode, "nama": a.name});
            p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            serde_json::json!({"type": "Feature", "properties": p, "geometry": geojson::Geometry::new(geojson::Value::from(&a.geometry))})
        };
        let file = |first: serde_json::Value| {
            let fc = serde_json::json!({"type": "FeatureCollection", "features": [feature(one, first), feature(two, serde_json::json!({}))]});
            read_features(&fc.to_string()).unwrap()
        };
        let opts = ImportOptions { source: Some("citata-survei".into()), year: Some(2025), ..ImportOptions::new(Level::Rw) };
        let rev0 = boundaries::revision(&store).await.unwrap();
        let bad: Vec<(serde_json::Value, ImportOptions, &str)> = vec![
            (serde_json::json!({"sumber": "Survei Citata!"}), opts.clone(), "property `sumber`"),
            (serde_json::json!({"sumber": ""}), opts.clone(), "property `sumber`"),
            (serde_json::json!({"sumber": 7}), opts.clone(), "property `sumber` must be a text"),
            (serde_json::json!({"tahun": 3012}), opts.clone(), "property `tahun`: year 3012"),
            (serde_json::json!({"tahun": "2012"}), opts.clone(), "property `tahun` must be a whole year"),
            (serde_json::json!({"tahun": 2012.5}), opts.clone(), "property `tahun` must be a whole year"),
            (serde_json::json!({}), ImportOptions { year: Some(1800), ..opts.clone() }, "year 1800"),
            (serde_json::json!({}), ImportOptions { source: Some("a b".into()), ..opts.clone() }, "not a source key"),
        ];
        for (first, o, expect) in bad {
            let err = import_features(&store, file(first.clone()), &o, "test", false).await.unwrap_err();
            let ImportError::Rejected(report) = err else { panic!("{kind}: expected rejection for {first}") };
            assert!(report.rejected.iter().any(|r| r.reason.contains(expect)), "{kind} {first}: {:?}", report.rejected);
            assert_eq!(boundaries::revision(&store).await.unwrap(), rev0, "{kind} {first}: a refusal writes nothing");
            assert_eq!(audit::history(&store, "rw", two).await.unwrap().len(), 1, "{kind} {first}");
        }
        // Good: the feature's own source and year, the options for the other.
        let good = serde_json::json!({"sumber": "dukcapil-2025", "tahun": 2024});
        let (_, stats) = import_features(&store, file(good.clone()), &opts, "test", false).await.unwrap();
        assert_eq!((stats.updated, stats.unchanged), (2, 0), "{kind}: a new source alone is a change");
        let atlas = atlas(&store).await;
        let got = |k: &str| {
            let a = atlas.get(&AreaCode::parse(k).unwrap()).unwrap();
            (a.source.clone(), a.year)
        };
        assert_eq!(got(one), (Some("dukcapil-2025".into()), Some(2024)), "{kind}");
        assert_eq!(got(two), (Some("citata-survei".into()), Some(2025)), "{kind}");
        let hist = audit::history(&store, "rw", one).await.unwrap();
        let last = hist.last().unwrap();
        assert_eq!((&last.before.as_ref().unwrap()["sumber"], &last.after.as_ref().unwrap()["sumber"]), (&serde_json::json!("inasafe-osm-2012"), &serde_json::json!("dukcapil-2025")), "{kind}");
        let (_, stats) = import_features(&store, file(good), &opts, "test", false).await.unwrap();
        assert_eq!(stats.unchanged, 2, "{kind}: the same again changes nothing");
    })
    .await;
}
