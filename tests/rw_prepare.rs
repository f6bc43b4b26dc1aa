//! `sigap prepare rw` and `sigap import boundaries --level rw --fit-to-parent` on both stores:
//! a named RW layer becomes coded and fitted RW; each kind of bad input is refused with the
//! problem named, and nothing is written (no file, no row).

mod common;
use common::*;
use sigap::cli::boundaries::{import_features, import_path, shipped_options, ImportError};
use sigap::cli::prepare::{prepare_rw, PrepareRwArgs};
use sigap::store::{boundaries, testing, Store};
use sigap::wilayah::geojson_io::read_features;
use sigap::wilayah::import::ImportOptions;
use sigap::wilayah::{AreaCode, Level};
use std::path::{Path, PathBuf};

/// A square of `d`° with its south-west corner at (lon, lat).
fn square(lon: f64, lat: f64, d: f64) -> serde_json::Value {
    serde_json::json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]})
}

fn named(kec: &str, kel: &str, rw: &str, geometry: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"type": "Feature", "properties": {"KAB_NAME": "JAKARTA PUSAT", "KEC_NAME": kec, "KEL_NAME": kel, "RW": rw}, "geometry": geometry})
}

fn args(dir: &Path, source: &serde_json::Value, crosswalk: &str) -> PrepareRwArgs {
    let src = dir.join("source.geojson");
    std::fs::write(&src, source.to_string()).unwrap();
    let cw = dir.join("crosswalk.csv");
    std::fs::write(&cw, crosswalk).unwrap();
    PrepareRwArgs {
        source: src,
        crosswalk: cw,
        generated: root().join("data/demo/rw.geojson"),
        out: dir.join("rw.geojson"),
        report: dir.join("rw-import-report.md"),
        population: root().join("data/penduduk/jakarta_population_density.csv"),
        source_note: "test source".into(),
        source_key: "test-source".into(),
        year: 2012,
    }
}

fn tmp(store: &Store, name: &str) -> PathBuf {
    let base = std::env::var("SIGAP_TEST_TMP").map(PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let dir = base.join(format!("rw-prepare-{name}-{}-{}", store.kind(), std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const CROSSWALK: &str = "kab_name,kec_name,kel_name,kode,reason\nJAKARTA PUSAT,GAMBIR,GAMBIR LAMA,31.71.01.1001,test: old name of Gambir\n";

#[tokio::test]
async fn prepare_rw_writes_a_fitted_layer_that_init_can_import() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let dir = tmp(&store, "good");
        // Two RW of Gambir (one through the crosswalk, one merged from two parts), a blank label.
        let source = serde_json::json!({"type": "FeatureCollection", "features": [
            named("GAMBIR", "GAMBIR", "RW 1", square(106.820, -6.180, 0.004)),
            named("GAMBIR", "GAMBIR", "RW 01", square(106.824, -6.180, 0.002)),
            named("GAMBIR", "GAMBIR LAMA", "RW02", square(106.820, -6.176, 0.004)),
            named("GAMBIR", "GAMBIR", "", square(106.826, -6.176, 0.002)),
        ]});
        let a = args(&dir, &source, CROSSWALK);
        let out = a.out.clone();
        prepare_rw(&store, a).await.unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let feats = read_features(&text).unwrap();
        let gambir: Vec<_> = feats.iter().filter(|f| f.properties["kode"].as_str().unwrap().starts_with("31.71.01.1001.")).collect();
        assert_eq!(gambir.len(), 2, "{}", store.kind());
        assert!(gambir.iter().all(|f| f.properties["generated"] == false && f.properties["tahun"] == 2012 && f.properties["sumber"] == "test-source"));
        // Every other kelurahan keeps its generated RW.
        assert!(feats.iter().filter(|f| !f.properties["kode"].as_str().unwrap().starts_with("31.71.01.1001.")).all(|f| f.properties["generated"] == true));
        let report = std::fs::read_to_string(dir.join("rw-import-report.md")).unwrap();
        assert!(report.contains("GAMBIR LAMA") && report.contains("test: old name of Gambir"), "{report}");
        assert!(report.contains("blank RW label"));
        assert!(report.contains("31.71.01.1001.001 (2 parts)"));
        // The fitted RW tile Gambir: the 2 RW cover the whole kelurahan.
        import_path(&store, &out, &shipped_options(Level::Rw, false), "test").await.unwrap();
        let atlas = atlas(&store).await;
        let rw = atlas.locate(106.8272, -6.1754).unwrap().rw.unwrap();
        assert!(rw.kode.starts_with("31.71.01.1001."), "{rw:?}");
        let stored = atlas.get(&AreaCode::parse(&rw.kode).unwrap()).unwrap();
        assert!(!stored.generated);
        assert_eq!((stored.source.as_deref(), stored.year), (Some("test-source"), Some(2012)), "{}", store.kind());
        let seribu = atlas.list(Level::Rw, None).into_iter().find(|a| a.code.as_str().starts_with("31.01.")).unwrap();
        assert_eq!((seribu.generated, seribu.source.as_deref(), seribu.year), (true, Some("generated"), None), "{}", store.kind());
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[tokio::test]
async fn prepare_rw_refuses_bad_input_and_writes_nothing() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let rev = boundaries::revision(&store).await.unwrap();
        let cases: Vec<(&str, serde_json::Value, &str)> = vec![
            ("unmatched", serde_json::json!({"type": "FeatureCollection", "features": [
                named("GAMBIR", "GAMBIR", "RW 01", square(106.820, -6.180, 0.004)),
                named("GAMBIR", "KAMPUNG ANTAH", "RW 01", square(106.824, -6.180, 0.004)),
            ]}), "GAMBIR / KAMPUNG ANTAH (1 polygons)"),
            ("outside", serde_json::json!({"type": "FeatureCollection", "features": [
                named("GAMBIR", "GAMBIR", "RW 01", square(110.0, -7.0, 0.004)),
            ]}), "outside Jakarta"),
            ("projected", serde_json::json!({"type": "FeatureCollection", "features": [
                named("GAMBIR", "GAMBIR", "RW 01", square(700000.0, 9300000.0, 100.0)),
            ]}), "declares no CRS"),
        ];
        for (name, source, expect) in cases {
            let dir = tmp(&store, name);
            let a = args(&dir, &source, CROSSWALK);
            let (out, report) = (a.out.clone(), a.report.clone());
            let e = format!("{:#}", prepare_rw(&store, a).await.unwrap_err());
            // Refusals are printed one per line before the error; the error names the count.
            assert!(e.contains("refused") || e.contains(expect), "{name}: {e}");
            assert!(!out.exists() && !report.exists(), "{name}: nothing is written");
            let _ = std::fs::remove_dir_all(&dir);
        }
        // A source key or year that cannot be stored is refused before any work.
        let good = serde_json::json!({"type": "FeatureCollection", "features": [named("GAMBIR", "GAMBIR", "RW 01", square(106.820, -6.180, 0.004))]});
        for (name, key, year, expect) in [("key", "InaSAFE 2012", 2012, "--source-key"), ("year", "inasafe-osm-2012", 2112, "--year")] {
            let dir = tmp(&store, name);
            let a = PrepareRwArgs { source_key: key.into(), year, ..args(&dir, &good, CROSSWALK) };
            let (out, report) = (a.out.clone(), a.report.clone());
            let e = format!("{:#}", prepare_rw(&store, a).await.unwrap_err());
            assert!(e.contains(expect), "{name}: {e}");
            assert!(!out.exists() && !report.exists(), "{name}: nothing is written");
            let _ = std::fs::remove_dir_all(&dir);
        }
        // An unparseable label is reported, not refused (its ground goes to the neighbours).
        let dir = tmp(&store, "label");
        let source = serde_json::json!({"type": "FeatureCollection", "features": [
            named("GAMBIR", "GAMBIR", "RW 01", square(106.820, -6.180, 0.004)),
            named("GAMBIR", "GAMBIR", "Kawasan Monas", square(106.824, -6.180, 0.004)),
        ]});
        let a = args(&dir, &source, CROSSWALK);
        let report = a.report.clone();
        prepare_rw(&store, a).await.unwrap();
        assert!(std::fs::read_to_string(&report).unwrap().contains("RW label `Kawasan Monas` is not an RW number"));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(boundaries::revision(&store).await.unwrap(), rev, "{}: prepare never writes the store", store.kind());
    })
    .await;
}

#[tokio::test]
async fn import_fit_to_parent_clips_and_fills_and_refuses_unknown_parents() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let rev = boundaries::revision(&store).await.unwrap();
        let rw = |kode: &str, g: serde_json::Value| serde_json::json!({"type": "Feature", "properties": {"kode": kode, "nama": "RW"}, "geometry": g});
        // One RW of Gambir drawn 1 km too big on every side: refused as it is, fitted with the flag.
        let big = serde_json::json!({"type": "FeatureCollection", "features": [rw("31.71.01.1001.001", square(106.800, -6.195, 0.045))]});
        let err = import_features(&store, read_features(&big.to_string()).unwrap(), &ImportOptions::new(Level::Rw), "test", false).await.unwrap_err();
        assert!(matches!(err, ImportError::Rejected(_)), "{}: {err}", store.kind());
        let opts = ImportOptions { fit_to_parent: true, ..ImportOptions::new(Level::Rw) };
        // An RW of a kelurahan that is not loaded: the whole file is refused, nothing written.
        let orphan = serde_json::json!({"type": "FeatureCollection", "features": [
            rw("31.71.01.1001.001", square(106.800, -6.195, 0.045)),
            rw("31.71.01.1099.001", square(106.820, -6.180, 0.004)),
        ]});
        let err = import_features(&store, read_features(&orphan.to_string()).unwrap(), &opts, "test", false).await.unwrap_err();
        let ImportError::Rejected(r) = err else { panic!("expected rejection") };
        assert!(r.rejected.iter().any(|x| x.reason.contains("31.71.01.1099 is not loaded")), "{:?}", r.rejected);
        assert_eq!(boundaries::revision(&store).await.unwrap(), rev, "{}: a refusal writes nothing", store.kind());
        let (report, stats) = import_features(&store, read_features(&big.to_string()).unwrap(), &opts, "test", false).await.unwrap();
        assert_eq!(stats.created, 1);
        let fit = report.fit.as_ref().unwrap();
        assert!(fit.kelurahan[0].clipped_m2 > 1_000_000.0, "{:?}", fit.kelurahan[0]);
        assert!(report.render().contains("fitted to parents: 1 parents"));
        let atlas = atlas(&store).await;
        let gambir = atlas.metric(&AreaCode::parse("31.71.01.1001").unwrap()).unwrap().clone();
        let fitted = atlas.metric(&AreaCode::parse("31.71.01.1001.001").unwrap()).unwrap();
        use geo::Area;
        assert!((fitted.unsigned_area() - gambir.unsigned_area()).abs() < 10.0, "{}: the one RW is the kelurahan", store.kind());
    })
    .await;
}
