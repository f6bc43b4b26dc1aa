//! Bulk import re-runs add nothing already committed (row identity `import:<batch>:<row>`), on both stores.
//! An interrupted run is simulated by importing a prefix of the file under the same batch; the
//! load-and-crash suite (tests/load) does the real `kill -9` mid-file.

mod common;
use common::*;
use sigap::complaints::cli::import_file;
use sigap::store::{testing, Store};
use sigap::wilayah::{Atlas, Level};
use std::path::Path;

async fn count(store: &Store, sql: &str) -> i64 {
    sigap::on_pool!(store, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.unwrap())
}

async fn complaints(store: &Store) -> i64 {
    count(store, "SELECT count(*) FROM complaints").await
}

async fn import(store: &Store, atlas: &Atlas, path: &Path, batch: Option<&str>) -> sigap::complaints::cli::ImportSummary {
    import_file(store, atlas, path, batch, &|_, _| {}).await.unwrap()
}

/// Loads the kelurahan, builds the atlas and makes a scratch directory for test `name`.
async fn setup(store: &Store, name: &str) -> (Atlas, std::path::PathBuf) {
    load_shipped(store, Level::Kelurahan).await;
    let dir = std::env::temp_dir().join(format!("sigap_cimport_{name}_{}_{}", std::process::id(), store.kind()));
    std::fs::create_dir_all(&dir).unwrap();
    (atlas(store).await, dir)
}

/// `n` data rows; rows whose record number is in `bad` carry an unknown category.
fn csv(n: usize, bad: &[usize]) -> String {
    let pts = test_points();
    let mut s = String::from("channel,category,description,lon,lat\n");
    for i in 0..n {
        let line = i + 2;
        let cat = if bad.contains(&line) { "gempa" } else { "banjir" };
        let (lon, lat) = pts[i % pts.len()];
        if i % 50 == 7 {
            s.push_str(&format!("sms,{cat},Aduan {line} tanpa lokasi,,\n"));
        } else {
            s.push_str(&format!("jaki,{cat},Aduan {line},{lon},{lat}\n"));
        }
    }
    s
}

#[tokio::test]
async fn rerun_after_an_interrupted_import_adds_each_row_once_on_both_stores() {
    testing::for_each_store(|store| async move {
        let (atlas, dir) = setup(&store, "rerun").await;
        let bad = [10, 600, 1100];
        let (full, prefix) = (dir.join("aduan.csv"), dir.join("aduan-awal.csv"));
        let text = csv(1203, &bad);
        std::fs::write(&full, &text).unwrap();
        // The first 700 data rows: what a run killed after its second chunk had committed.
        std::fs::write(&prefix, text.lines().take(701).collect::<Vec<_>>().join("\n") + "\n").unwrap();

        let first = import(&store, &atlas, &prefix, Some("oktober")).await;
        assert_eq!((first.imported, first.rejected.len()), (698, 2), "{first:?}");
        let second = import(&store, &atlas, &full, Some("oktober")).await;
        assert_eq!((second.already_imported, second.imported, second.rejected.len()), (698, 502, 3), "{:?}", second.rejected);
        assert_eq!(complaints(&store).await, 1200, "every valid row exactly once");
        assert_eq!(count(&store, "SELECT count(DISTINCT external_ref) FROM complaints").await, 1200);
        // Each row's description names its record number: no row twice, no row missing.
        assert_eq!(count(&store, "SELECT count(DISTINCT description) FROM complaints").await, 1200);

        let third = import(&store, &atlas, &full, Some("oktober")).await;
        assert_eq!((third.already_imported, third.imported), (1200, 0));
        assert_eq!(complaints(&store).await, 1200);

        // A rejected row fixed in place is imported on the next run of the same batch, alone.
        std::fs::write(&full, text.replace("jaki,gempa,Aduan 600,", "jaki,banjir,Aduan 600,")).unwrap();
        let fixed = import(&store, &atlas, &full, Some("oktober")).await;
        assert_eq!((fixed.imported, fixed.rejected.iter().map(|r| r.0).collect::<Vec<_>>()), (1, vec![10, 1100]));
        assert_eq!(complaints(&store).await, 1201);
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[tokio::test]
async fn default_batch_is_the_file_content_on_both_stores() {
    testing::for_each_store(|store| async move {
        let (atlas, dir) = setup(&store, "default").await;
        let (a, b) = (dir.join("a.csv"), dir.join("b.geojson"));
        std::fs::write(&a, csv(30, &[])).unwrap();
        std::fs::write(&b, r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[106.8272,-6.1754]},"properties":{"channel":"jaki","category":"banjir","description":"Banjir di Gambir"}},
            {"type":"Feature","geometry":null,"properties":{"category":"sampah","description":"Tanpa lokasi"}}]}"#).unwrap();

        let once = import(&store, &atlas, &a, None).await;
        assert_eq!(once.imported, 30);
        assert!(once.batch.starts_with("sha256-") && once.batch.len() == 23, "{}", once.batch);
        let again = import(&store, &atlas, &a, None).await;
        assert_eq!((again.batch.as_str(), again.already_imported, again.imported), (once.batch.as_str(), 30, 0));
        let g1 = import(&store, &atlas, &b, None).await;
        let g2 = import(&store, &atlas, &b, None).await;
        assert_eq!((g1.imported, g2.already_imported, g2.imported), (2, 2, 0));
        assert_eq!(complaints(&store).await, 32);
        // A batch is a namespace: the same file under another batch name is another import.
        assert_eq!(import(&store, &atlas, &b, Some("ulang")).await.imported, 2);
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[tokio::test]
async fn bad_batch_names_and_text_are_refused_and_store_nothing_on_both_stores() {
    testing::for_each_store(|store| async move {
        let (atlas, dir) = setup(&store, "bad").await;
        let a = dir.join("a.csv");
        std::fs::write(&a, csv(5, &[])).unwrap();
        for batch in ["", "  ", "a\u{1}b", &"x".repeat(101)] {
            let e = import_file(&store, &atlas, &a, Some(batch), &|_, _| {}).await.unwrap_err();
            assert!(e.to_string().contains("batch"), "{batch:?}: {e}");
        }
        assert_eq!(complaints(&store).await, 0);
        // A batch name with LIKE wildcards is matched literally.
        assert_eq!(import(&store, &atlas, &a, Some("100%_x")).await.imported, 5);
        assert_eq!(import(&store, &atlas, &a, Some("100%_")).await.imported, 5);
        assert_eq!(import(&store, &atlas, &a, Some("100%_x")).await.imported, 0);
        // A NUL in a description is a rejected row on both stores (PostgreSQL refuses it in text).
        std::fs::write(&a, "channel,category,description,lon,lat\njaki,banjir,\"Ban\u{0}jir\",106.8272,-6.1754\n").unwrap();
        let s = import(&store, &atlas, &a, None).await;
        assert_eq!((s.imported, s.rejected.len()), (0, 1), "{s:?}");
        assert!(s.rejected[0].1.contains("description"), "{:?}", s.rejected);
        assert_eq!(complaints(&store).await, 10);
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}
