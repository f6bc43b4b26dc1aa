//! Logistics catalog (barang) and gudang on both stores: good and bad input side by side, roles,
//! optimistic edits with audit, idempotent retries, nothing written on a rejection; the CSV and
//! XLSX catalog import; the demo load.

mod common;
mod logistics_support;
use axum::http::StatusCode;
use common::*;
use logistics_support::*;
use sigap::store::{testing, Store};
use sigap::wilayah::Level;

/// Row counts of every table a catalog or gudang write touches.
async fn rows(store: &Store) -> [i64; 4] {
    [count(store, "logistik_barang").await, count(store, "logistik_gudang").await, count(store, "audit_log").await, count(store, "idempotency").await]
}

fn masker() -> serde_json::Value {
    serde_json::json!({"kode": "APD-MASKER", "jenis": "apd", "nama": "Masker bedah 3 ply", "satuan": "pcs",
        "konversi": [{"satuan": "karton", "isi": 40}]})
}

fn gudang() -> serde_json::Value {
    serde_json::json!({"kode": "BALAIKOTA", "nama": "Gedung Balaikota", "lon": 106.8286, "lat": -6.1818})
}


#[tokio::test]
async fn catalog_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let logistik = sigap::store::tokens::create(&store, "logistik", None, None).await.unwrap();
        let planner = sigap::store::tokens::create(&store, "planner", None, None).await.unwrap();
        let l = Some(logistik.as_str());

        let created = call(&app, "POST", "/api/v1/logistik/barang", l, Some("b-1"), Some(masker())).await;
        assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
        assert_eq!(created.1["versi"], 1);
        assert_eq!(created.1["bulat"], true);
        assert_eq!(created.1["konversi"][0]["isi"], 40.0);
        // Replay: same answer; same key with another body: 409.
        let again = call(&app, "POST", "/api/v1/logistik/barang", l, Some("b-1"), Some(masker())).await;
        assert_eq!((again.0, &again.1), (StatusCode::CREATED, &created.1));
        let mut other = masker();
        other["nama"] = "Masker lain".into();
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, Some("b-1"), Some(other)).await, 409, "Idempotency-Key");

        // Public read, filter by jenis.
        let list = call(&app, "GET", "/api/v1/logistik/barang?jenis=apd", None, None, None).await;
        assert_eq!(list.1.as_array().map(Vec::len), Some(1), "{}", list.1);
        assert_eq!(call(&app, "GET", "/api/v1/logistik/barang?jenis=obat", None, None, None).await.1, serde_json::json!([]));
        problem(&call(&app, "GET", "/api/v1/logistik/barang?jenis=senjata", None, None, None).await, 400, "jenis");
        problem(&call(&app, "GET", "/api/v1/logistik/barang/TIDAK-ADA", None, None, None).await, 404, "kode");

        // Bad input: each names its field and writes nothing.
        let snapshot = rows(&store).await;
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(masker())).await, 409, "kode");
        let with = |f: &str, v: serde_json::Value| {
            let mut b = masker();
            b["kode"] = "APD-BARU".into();
            b[f] = v;
            b
        };
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("jenis", "senjata".into()))).await, 422, "jenis");
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("nama", " ".into()))).await, 422, "nama");
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("nama", "a\u{0}b".into()))).await, 422, "nama");
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("kode", "bad code!".into()))).await, 422, "kode");
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("satuan", "dua kata".into()))).await, 422, "satuan");
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("konversi", serde_json::json!([{"satuan": "karton", "isi": 0}])))).await, 422, "konversi[0].isi");
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("konversi", serde_json::json!([{"satuan": "karton", "isi": 2.5}])))).await, 422, "konversi[0].isi");
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("konversi", serde_json::json!([{"satuan": "pcs", "isi": 2}])))).await, 422, "konversi[0].satuan");
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("harga", 5.into()))).await, 422, "harga");
        problem(&call(&app, "POST", "/api/v1/logistik/barang", l, None, Some(with("versi", 1.into()))).await, 422, "versi");
        // Roles before the body: a planner and a gudang-scoped logistik token may not edit the catalog.
        problem(&call(&app, "POST", "/api/v1/logistik/barang", Some(&planner), None, Some(serde_json::json!({"x": 1}))).await, 403, "");
        assert_eq!(call(&app, "POST", "/api/v1/logistik/barang", None, None, Some(masker())).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(rows(&store).await, snapshot, "a rejected write changed a table");

        // Edit at the version read; a stale version is a 409 naming versi; audit has before/after.
        let mut edit = masker();
        edit["nama"] = "Masker bedah 3 ply (biru)".into();
        edit["versi"] = 1.into();
        let e1 = call(&app, "PUT", "/api/v1/logistik/barang/APD-MASKER", l, Some("e-1"), Some(edit.clone())).await;
        assert_eq!(e1.0, StatusCode::OK, "{}", e1.1);
        assert_eq!(e1.1["versi"], 2);
        let snapshot = rows(&store).await;
        problem(&call(&app, "PUT", "/api/v1/logistik/barang/APD-MASKER", l, Some("e-2"), Some(edit.clone())).await, 409, "versi");
        problem(&call(&app, "PUT", "/api/v1/logistik/barang/APD-LAIN", l, None, Some(edit.clone())).await, 422, "kode");
        let mut no_versi = edit.clone();
        no_versi.as_object_mut().unwrap().remove("versi");
        problem(&call(&app, "PUT", "/api/v1/logistik/barang/APD-MASKER", l, None, Some(no_versi)).await, 422, "versi");
        let mut ghost = edit.clone();
        ghost["kode"] = "APD-HANTU".into();
        problem(&call(&app, "PUT", "/api/v1/logistik/barang/APD-HANTU", l, None, Some(ghost)).await, 404, "kode");
        assert_eq!(rows(&store).await[..3], snapshot[..3], "a rejected edit changed a table");
        let history = sigap::store::audit::history(&store, "logistik_barang", "APD-MASKER").await.unwrap();
        assert_eq!(history.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(), ["logistik.barang.create", "logistik.barang.update"]);
        assert_eq!(history[1].before.as_ref().unwrap()["nama"], "Masker bedah 3 ply");
        assert_eq!(history[1].after.as_ref().unwrap()["nama"], "Masker bedah 3 ply (biru)");
    })
    .await;
}

#[tokio::test]
async fn gudang_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let logistik = sigap::store::tokens::create(&store, "logistik", None, None).await.unwrap();
        let l = Some(logistik.as_str());

        let g = call(&app, "POST", "/api/v1/logistik/gudang", l, Some("g-1"), Some(gudang())).await;
        assert_eq!(g.0, StatusCode::CREATED, "{}", g.1);
        assert_eq!(g.1["kota"], "31.71", "{}", g.1);
        assert!(g.1["kelurahan"].as_str().unwrap().starts_with("31.71."), "{}", g.1);
        assert_eq!(call(&app, "GET", "/api/v1/logistik/gudang", None, None, None).await.1.as_array().map(Vec::len), Some(1));

        let snapshot = rows(&store).await;
        let with = |f: &str, v: serde_json::Value| {
            let mut b = gudang();
            b["kode"] = "BARU".into();
            b[f] = v;
            b
        };
        problem(&call(&app, "POST", "/api/v1/logistik/gudang", l, None, Some(gudang())).await, 409, "kode");
        // Outside Jakarta (Bekasi) and lat-first: both name lon; the second says swapped.
        problem(&call(&app, "POST", "/api/v1/logistik/gudang", l, None, Some(with("lon", 107.0.into()))).await, 422, "lon");
        let mut swapped = with("lon", (-6.1818).into());
        swapped["lat"] = 106.8286.into();
        let r = call(&app, "POST", "/api/v1/logistik/gudang", l, None, Some(swapped)).await;
        problem(&r, 422, "lat");
        assert!(r.1["detail"].as_str().unwrap().contains("swapped"), "{}", r.1);
        problem(&call(&app, "POST", "/api/v1/logistik/gudang", l, None, Some(with("nama", "".into()))).await, 422, "nama");
        problem(&call(&app, "POST", "/api/v1/logistik/gudang", l, None, Some(with("lon", "106.8".into()))).await, 422, "lon");
        assert_eq!(rows(&store).await, snapshot, "a rejected write changed a table");

        // `sigap token create`: a logistik token's unit must be a gudang; a penerima token needs a unit.
        use sigap::api::Role;
        use sigap::cli::token::{run as token, TokenCommand};
        let create = |role: Role, unit: Option<&str>| TokenCommand::Create { role, unit: unit.map(str::to_string), label: None, expires_in_days: 30 };
        let err = token(&store, create(Role::Logistik, Some("GUDANG-HANTU"))).await.unwrap_err();
        assert!(err.to_string().contains("not a gudang"), "{err}");
        assert!(token(&store, create(Role::Penerima, None)).await.unwrap_err().to_string().contains("needs --unit"));
        token(&store, create(Role::Logistik, Some("BALAIKOTA"))).await.unwrap();
        // A gudang-scoped token acts for its gudang only: it may not edit the list.
        let scoped = sigap::store::tokens::create(&store, "logistik", Some("BALAIKOTA"), None).await.unwrap();
        problem(&call(&app, "POST", "/api/v1/logistik/gudang", Some(&scoped), None, Some(with("kode", "X".into()))).await, 403, "");

        // Move it to Dinas Sosial's address: relocated by the atlas, audited.
        let mut moved = gudang();
        moved["lon"] = 106.84.into();
        moved["lat"] = (-6.165).into();
        moved["versi"] = 1.into();
        let m = call(&app, "PUT", "/api/v1/logistik/gudang/BALAIKOTA", l, None, Some(moved.clone())).await;
        assert_eq!(m.0, StatusCode::OK, "{}", m.1);
        assert_eq!(m.1["versi"], 2);
        assert_ne!(m.1["kelurahan"], g.1["kelurahan"]);
        problem(&call(&app, "PUT", "/api/v1/logistik/gudang/BALAIKOTA", l, None, Some(moved)).await, 409, "versi");
        let history = sigap::store::audit::history(&store, "logistik_gudang", "BALAIKOTA").await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].before.as_ref().unwrap()["kelurahan"], g.1["kelurahan"]);
    })
    .await;
}

#[tokio::test]
async fn catalog_import_and_demo_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let atlas = atlas(&store).await;
        let dir = std::path::PathBuf::from(std::env::var("SIGAP_TEST_TMP").unwrap_or_else(|_| std::env::temp_dir().display().to_string()))
            .join(format!("logistik_import_{}_{}", std::process::id(), store.kind()));
        std::fs::create_dir_all(&dir).unwrap();
        use sigap::logistics::cli::{import_barang, ImportBarangArgs};

        // A bad file (unknown jenis, repeated code) changes nothing and lists both lines.
        let bad = dir.join("bad.csv");
        std::fs::write(&bad, "kode,jenis,nama,satuan\nA,apd,Masker,pcs\nB,senjata,x,pcs\nA,apd,lagi,pcs\n").unwrap();
        let err = import_barang(&store, ImportBarangArgs { file: bad, dry_run: false }).await.unwrap_err();
        assert!(err.to_string().contains("2 problem(s)") && err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(count(&store, "logistik_barang").await, 0);
        let no_header = dir.join("nohdr.csv");
        std::fs::write(&no_header, "kode,nama\nA,x\n").unwrap();
        let err = import_barang(&store, ImportBarangArgs { file: no_header, dry_run: false }).await.unwrap_err();
        assert!(err.to_string().contains("jenis, satuan"), "{err}");

        // XLSX, as these offices keep their lists.
        let xlsx = dir.join("katalog.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let table = [
            ["kode", "jenis", "nama", "spesifikasi", "satuan", "bulat", "perlu_kedaluwarsa", "konversi"],
            ["APD-MASKER", "apd", "Masker", "3 ply", "pcs", "ya", "tidak", "karton=40"],
            ["PANGAN-BERAS-5KG", "pangan", "Beras 5 kg", "", "karung", "ya", "ya", ""],
        ];
        for (r, row) in table.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
        wb.save(&xlsx).unwrap();
        import_barang(&store, ImportBarangArgs { file: xlsx.clone(), dry_run: true }).await.unwrap();
        assert_eq!(count(&store, "logistik_barang").await, 0, "a dry run writes nothing");
        import_barang(&store, ImportBarangArgs { file: xlsx.clone(), dry_run: false }).await.unwrap();
        let beras = sigap::logistics::store::get_barang(&store, "PANGAN-BERAS-5KG").await.unwrap().unwrap();
        assert!(beras.barang.perlu_kedaluwarsa);
        // A second import of the same file changes nothing (no new audit entries).
        let audit = count(&store, "audit_log").await;
        import_barang(&store, ImportBarangArgs { file: xlsx, dry_run: false }).await.unwrap();
        assert_eq!(count(&store, "audit_log").await, audit);

        // The demo adds the missing codes and the four gudang of Lampiran A.3; a second run adds nothing.
        let first = sigap::logistics::load_demo(&store, &atlas).await.unwrap();
        assert_eq!((first.gudang, first.komitmen), (4, 3));
        let states: Vec<String> = sigap::logistics::store::list_komitmen(&store, None).await.unwrap().into_iter().map(|k| k.status).collect();
        assert_eq!(states, ["batal", "draf", "disepakati"]);
        assert!(first.barang >= 14, "{first:?}");
        assert_eq!(sigap::logistics::load_demo(&store, &atlas).await.unwrap(), Default::default());
        let masker = sigap::logistics::store::get_barang(&store, "APD-MASKER").await.unwrap().unwrap();
        assert!(!masker.generated, "the imported item keeps its own record");
        let gudang = sigap::logistics::store::list_gudang(&store).await.unwrap();
        assert!(gudang.iter().all(|g| g.generated && g.kota.starts_with("31.7")), "{gudang:?}");
    })
    .await;
}

/// Puts a stock balance directly (the stock ledger is a later part of issue 11): test set-up only.
async fn put_saldo(store: &Store, gudang: &str, barang: &str, lot: &str, kedaluwarsa: Option<&str>, jumlah_milli: i64) {
    let exp = kedaluwarsa.map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    sigap::on_pool!(store, p => sqlx::query("INSERT INTO logistik_saldo (gudang, barang, lot, kedaluwarsa, jumlah) VALUES ($1,$2,$3,$4,$5)")
        .bind(gudang).bind(barang).bind(lot).bind(exp).bind(jumlah_milli).execute(p).await.map(|_| ()).unwrap());
}

#[tokio::test]
async fn needs_and_availability_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        sigap::complaints::load_demo(&store, &atlas(&store).await).await.unwrap();
        sigap::logistics::load_demo(&store, &atlas(&store).await).await.unwrap();
        const KEL: &str = "31.71.01.1001";
        const KEL2: &str = "31.71.01.1002";
        let unit = sigap::store::tokens::create(&store, "penerima", Some(KEL), None).await.unwrap();
        let other = sigap::store::tokens::create(&store, "penerima", Some(KEL2), None).await.unwrap();
        let kolaborasi = sigap::store::tokens::create(&store, "bidang_kolaborasi", None, None).await.unwrap();
        let admin = sigap::store::tokens::create(&store, "admin", None, None).await.unwrap();
        let u = Some(unit.as_str());
        let path = |unit: &str, c: &str, b: &str| format!("/api/v1/logistik/unit/{unit}/{c}/{b}");

        // 3 karton of masker (2000 pcs each) needed at a posko inside the kelurahan.
        let need = serde_json::json!({"jumlah": 3, "satuan": "karton", "lon": 106.8272, "lat": -6.1754, "tempat": "Posko RW 03"});
        let r = call(&app, "PUT", &path(KEL, "kebutuhan", "APD-MASKER-3PLY"), u, Some("k-1"), Some(need.clone())).await;
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
        assert_eq!(r.1["jumlah"], 6000.0);
        assert_eq!(r.1["kota"], "31.71");
        assert_eq!(r.1["versi"], 1);
        let replay = call(&app, "PUT", &path(KEL, "kebutuhan", "APD-MASKER-3PLY"), u, Some("k-1"), Some(need.clone())).await;
        assert_eq!(replay.1, r.1);
        let has = call(&app, "PUT", &path(KEL, "ketersediaan", "APD-MASKER-3PLY"), u, None, Some(serde_json::json!({"jumlah": 1000}))).await;
        assert_eq!(has.0, StatusCode::OK, "{}", has.1);
        assert_eq!(has.1["kelurahan"], KEL, "a kelurahan unit stands at its own kelurahan");
        let o = call(&app, "PUT", &path(KEL2, "kebutuhan", "APD-MASKER-3PLY"), Some(&other), None, Some(serde_json::json!({"jumlah": 500, "satuan": "pcs"}))).await;
        assert_eq!(o.0, StatusCode::OK, "{}", o.1);

        // Bad input: each names its field, nothing written.
        let snapshot = (count(&store, "logistik_catatan").await, count(&store, "audit_log").await, count(&store, "idempotency").await);
        let put = |p: String, body: serde_json::Value| {
            let app = app.clone();
            async move { call(&app, "PUT", &p, u, None, Some(body)).await }
        };
        problem(&put(path(KEL, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": 0})).await, 422, "jumlah");
        problem(&put(path(KEL, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": -4})).await, 422, "jumlah");
        problem(&put(path(KEL, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": 1.5})).await, 422, "jumlah");
        problem(&put(path(KEL, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": 1, "satuan": "kg"})).await, 422, "satuan");
        problem(&put(path(KEL, "kebutuhan", "TIDAK-ADA"), serde_json::json!({"jumlah": 1})).await, 404, "barang");
        problem(&put(path(KEL, "permintaan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": 1})).await, 404, "catatan");
        problem(&put(path(KEL, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": 1, "lon": 106.8})).await, 422, "lat");
        problem(&put(path(KEL, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": 1, "lon": 107.2, "lat": -6.1})).await, 422, "lon");
        problem(&put(path(KEL, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": 1, "tempat": "a\u{1}"})).await, 422, "tempat");
        problem(&put(path(KEL, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": 1, "versi": 7})).await, 409, "versi");
        problem(&put(path(KEL, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jml": 1})).await, 422, "jml");
        // Another unit's figures: 403 naming unit; an unknown unit (admin): 404 naming unit.
        problem(&put(path(KEL2, "kebutuhan", "APD-MASKER-3PLY"), serde_json::json!({"jumlah": 1})).await, 403, "unit");
        problem(&call(&app, "GET", &format!("/api/v1/logistik/unit/{KEL2}"), u, None, None).await, 403, "unit");
        problem(&call(&app, "PUT", &path("unit-hantu", "kebutuhan", "APD-MASKER-3PLY"), Some(&admin), None, Some(serde_json::json!({"jumlah": 1}))).await, 404, "unit");
        problem(&call(&app, "PUT", &path(KEL, "kebutuhan", "APD-MASKER-3PLY"), Some(&kolaborasi), None, Some(serde_json::json!({"jumlah": 1}))).await, 403, "");
        problem(&call(&app, "DELETE", &path(KEL, "kebutuhan", "OBAT-PARASETAMOL"), u, None, None).await, 404, "barang");
        assert_eq!(
            (count(&store, "logistik_catatan").await, count(&store, "audit_log").await, count(&store, "idempotency").await),
            snapshot,
            "a rejected write changed a table"
        );

        // Needs vs stock: masker need 6000 at KEL (has 1000) and 500 at KEL2; stock 3000 good + 900 expired.
        put_saldo(&store, "BALAIKOTA", "APD-MASKER-3PLY", "L1", None, 3000 * 1000).await;
        put_saldo(&store, "DINSOS", "APD-MASKER-3PLY", "L0", Some("2020-01-31"), 900 * 1000).await;
        let v = call(&app, "GET", "/api/v1/logistik/kebutuhan?barang=APD-MASKER-3PLY", Some(&kolaborasi), None, None).await;
        assert_eq!(v.0, StatusCode::OK, "{}", v.1);
        let m = &v.1[0];
        assert_eq!((m["kebutuhan"].as_f64(), m["ketersediaan_unit"].as_f64(), m["kebutuhan_bersih"].as_f64()), (Some(6500.0), Some(1000.0), Some(5500.0)));
        assert_eq!((m["stok_gudang"].as_f64(), m["kurang"].as_f64()), (Some(3000.0), Some(2500.0)), "expired lots are not stock: {m}");
        assert_eq!(m["unit_kurang"][0]["unit"], KEL);
        assert_eq!(m["unit_kurang"][0]["kurang"], 5000.0);
        assert_eq!(m["unit_kurang"][1]["unit"], KEL2);
        problem(&call(&app, "GET", "/api/v1/logistik/kebutuhan?barang=X", Some(&kolaborasi), None, None).await, 404, "barang");
        assert_eq!(call(&app, "GET", "/api/v1/logistik/kebutuhan", None, None, None).await.0, StatusCode::UNAUTHORIZED);
        // The same view from the CLI; an unknown item is an error naming it.
        use sigap::logistics::cli::{run, LogistikCommand};
        run(&store, LogistikCommand::Kebutuhan { barang: Some("APD-MASKER-3PLY".into()), json: false }).await.unwrap();
        let err = run(&store, LogistikCommand::Kebutuhan { barang: Some("X".into()), json: true }).await.unwrap_err();
        assert!(err.to_string().contains("no barang X"), "{err}");

        // The unit's own list; clearing is audited.
        let mine = call(&app, "GET", &format!("/api/v1/logistik/unit/{KEL}"), u, None, None).await;
        assert_eq!(mine.1.as_array().map(Vec::len), Some(2), "{}", mine.1);
        let cleared = call(&app, "DELETE", &path(KEL, "ketersediaan", "APD-MASKER-3PLY"), u, Some("c-1"), None).await;
        assert_eq!(cleared.0, StatusCode::OK, "{}", cleared.1);
        let hist = sigap::store::audit::history(&store, "logistik_catatan", &format!("{KEL}/ketersediaan/APD-MASKER-3PLY")).await.unwrap();
        assert_eq!(hist.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(), ["logistik.ketersediaan.set", "logistik.ketersediaan.clear"]);
        assert_eq!(hist[1].before.as_ref().unwrap()["jumlah"], 1000.0);
    })
    .await;
}

#[tokio::test]
async fn pledges_on_both_stores() {
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        sigap::logistics::load_demo(&store, &atlas(&store).await).await.unwrap();
        let kol = sigap::store::tokens::create(&store, "bidang_kolaborasi", None, None).await.unwrap();
        let auditor = sigap::store::tokens::create(&store, "auditor", None, None).await.unwrap();
        let penerima = sigap::store::tokens::create(&store, "penerima", Some("31.71.01.1001"), None).await.unwrap();
        let k = Some(kol.as_str());
        // The one collaborator registry: a demo collaborator (approved), an application not yet
        // reviewed and a rejected one, all from the KSBB registry.
        let approved = kolaborator_id(&store).await;
        let apply = |nama: &str, nomor: &str| {
            let app = app.clone();
            let body = serde_json::json!({"jenis": "donatur", "nama": nama, "badan_hukum": "PT", "nomor_badan_hukum": nomor, "kontak_nama": "Ani Wijaya", "kontak_telepon": "081312345688"});
            async move { call(&app, "POST", "/api/v1/ksbb/kolaborator", None, None, Some(body)).await.1["id"].as_i64().unwrap() }
        };
        let pending = apply("PT Belum Ditinjau", "NIB-LOG-0001").await;
        let rejected = apply("PT Ditolak", "NIB-LOG-0002").await;
        let r = call(&app, "POST", &format!("/api/v1/ksbb/kolaborator/{rejected}/review"), k, None, Some(serde_json::json!({"keputusan": "tolak", "alasan": "Izin tidak ada"}))).await;
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
        let pledge = || {
            serde_json::json!({"kolaborator_id": approved, "gudang": "DINSOS", "tanggal_harap": "2026-12-05",
                "baris": [{"barang": "SEMBAKO-PAKET-149500", "jumlah": 1000}, {"barang": "APD-MASKER-3PLY", "jumlah": 5, "satuan": "karton"}]})
        };
        let c = call(&app, "POST", "/api/v1/logistik/komitmen", k, Some("p-1"), Some(pledge())).await;
        assert_eq!(c.0, StatusCode::CREATED, "{}", c.1);
        assert_eq!(c.1["status"], "draf");
        assert_eq!(c.1["baris"][0]["barang"], "APD-MASKER-3PLY");
        assert_eq!(c.1["baris"][0]["jumlah"], 10000.0, "5 karton of 2000 pcs");
        assert_eq!(c.1["riwayat"][0]["ke"], "draf");
        assert_eq!((c.1["kolaborator_id"].as_i64(), c.1["kolaborator"].as_str()), (Some(approved), Some("PT Contoh Sejahtera (GENERATED)")), "the registry's name is kept");
        let id = c.1["id"].as_i64().unwrap();
        assert_eq!(call(&app, "POST", "/api/v1/logistik/komitmen", k, Some("p-1"), Some(pledge())).await.1, c.1, "replayed");

        // Bad input: each names its field, nothing written.
        let tables = ["logistik_komitmen", "logistik_komitmen_baris", "logistik_komitmen_riwayat", "audit_log", "idempotency"];
        let counts = || async { let mut v = Vec::new(); for t in tables { v.push(count(&store, t).await); } v };
        let snapshot = counts().await;
        let with = |f: &str, v: serde_json::Value| {
            let mut p = pledge();
            p[f] = v;
            p
        };
        let post = |b: serde_json::Value| {
            let app = app.clone();
            async move { call(&app, "POST", "/api/v1/logistik/komitmen", k, None, Some(b)).await }
        };
        problem(&post(with("gudang", "GUDANG-HANTU".into())).await, 422, "gudang");
        problem(&post(with("kolaborator_id", 9999.into())).await, 422, "kolaborator_id");
        problem(&post(with("kolaborator_id", pending.into())).await, 422, "kolaborator_id");
        problem(&post(with("kolaborator_id", rejected.into())).await, 422, "kolaborator_id");
        problem(&post(with("kolaborator_id", "PT Contoh Peduli".into())).await, 422, "kolaborator_id");
        let mut named = pledge();
        named.as_object_mut().unwrap().remove("kolaborator_id");
        named["kolaborator"] = "PT Contoh Peduli".into();
        problem(&post(named).await, 422, "kolaborator");
        problem(&post(with("tanggal_harap", "5/12/2026".into())).await, 422, "tanggal_harap");
        problem(&post(with("baris", serde_json::json!([]))).await, 422, "baris");
        problem(&post(with("baris", serde_json::json!([{"barang": "TIDAK-ADA", "jumlah": 1}]))).await, 422, "baris[0].barang");
        problem(&post(with("baris", serde_json::json!([{"barang": "APD-MASKER-3PLY", "jumlah": 0}]))).await, 422, "baris[0].jumlah");
        problem(&post(with("baris", serde_json::json!([{"barang": "APD-MASKER-3PLY", "jumlah": -3}]))).await, 422, "baris[0].jumlah");
        problem(&post(with("baris", serde_json::json!([{"barang": "APD-MASKER-3PLY", "jumlah": 2.5}]))).await, 422, "baris[0].jumlah");
        problem(&post(with("baris", serde_json::json!([{"barang": "APD-MASKER-3PLY", "jumlah": 1, "satuan": "kg"}]))).await, 422, "baris[0].satuan");
        problem(&post(with("baris", serde_json::json!([{"barang": "APD-MASKER-3PLY", "jumlah": 1}, {"barang": "APD-MASKER-3PLY", "jumlah": 2}]))).await, 422, "baris[1].barang");
        problem(&call(&app, "POST", "/api/v1/logistik/komitmen", Some(&penerima), None, Some(pledge())).await, 403, "");
        problem(&call(&app, "GET", "/api/v1/logistik/komitmen", Some(&penerima), None, None).await, 403, "");
        // Status: only agree or cancel; the receipt states are not a request's to set.
        let status = |b: serde_json::Value| {
            let app = app.clone();
            async move { call(&app, "POST", &format!("/api/v1/logistik/komitmen/{id}/status"), k, None, Some(b)).await }
        };
        problem(&status(serde_json::json!({"status": "selesai", "versi": 1})).await, 409, "status");
        problem(&status(serde_json::json!({"status": "batal", "versi": 1})).await, 422, "alasan");
        problem(&status(serde_json::json!({"status": "disepakati", "versi": 9})).await, 409, "versi");
        problem(&status(serde_json::json!({"status": "hilang", "versi": 1})).await, 422, "status");
        problem(&call(&app, "POST", "/api/v1/logistik/komitmen/999/status", k, None, Some(serde_json::json!({"status": "disepakati", "versi": 1}))).await, 404, "id");
        problem(&call(&app, "GET", "/api/v1/logistik/komitmen/abc", k, None, None).await, 400, "id");
        assert_eq!(counts().await, snapshot, "a rejected write changed a table");

        let agreed = status(serde_json::json!({"status": "disepakati", "versi": 1})).await;
        assert_eq!(agreed.0, StatusCode::OK, "{}", agreed.1);
        assert_eq!((agreed.1["status"].as_str(), agreed.1["versi"].as_i64()), (Some("disepakati"), Some(2)));
        problem(&status(serde_json::json!({"status": "disepakati", "versi": 2})).await, 409, "status");
        let cancelled = status(serde_json::json!({"status": "batal", "versi": 2, "alasan": "Kolaborator menarik komitmen"})).await;
        assert_eq!(cancelled.0, StatusCode::OK, "{}", cancelled.1);
        let one = call(&app, "GET", &format!("/api/v1/logistik/komitmen/{id}"), Some(&auditor), None, None).await;
        let steps: Vec<(serde_json::Value, serde_json::Value)> = one.1["riwayat"].as_array().unwrap().iter().map(|r| (r["dari"].clone(), r["ke"].clone())).collect();
        assert_eq!(steps, [(serde_json::Value::Null, "draf".into()), ("draf".into(), "disepakati".into()), ("disepakati".into(), "batal".into())]);
        assert_eq!(one.1["riwayat"][2]["alasan"], "Kolaborator menarik komitmen");
        let listed = call(&app, "GET", "/api/v1/logistik/komitmen?status=batal", Some(&auditor), None, None).await;
        let listed = listed.1.as_array().unwrap();
        assert!(listed.iter().any(|x| x["id"] == id) && listed.iter().all(|x| x["status"] == "batal"), "{listed:?}");
        problem(&call(&app, "GET", "/api/v1/logistik/komitmen?status=hilang", Some(&auditor), None, None).await, 400, "status");
        use sigap::logistics::cli::{run, LogistikCommand};
        run(&store, LogistikCommand::Komitmen { status: Some("batal".into()) }).await.unwrap();
        assert!(run(&store, LogistikCommand::Komitmen { status: Some("hilang".into()) }).await.is_err());

        // One list per collaborator.
        let of = call(&app, "GET", &format!("/api/v1/logistik/komitmen?kolaborator_id={approved}"), Some(&auditor), None, None).await;
        assert!(of.1.as_array().unwrap().iter().all(|x| x["kolaborator_id"] == approved) && of.1.as_array().unwrap().iter().any(|x| x["id"] == id), "{}", of.1);
        assert_eq!(call(&app, "GET", &format!("/api/v1/logistik/komitmen?kolaborator_id={pending}"), Some(&auditor), None, None).await.1, serde_json::json!([]));

        // The migration of pledges recorded with a typed name (before the shared registry): its
        // UPDATE links a name that matches one approved collaborator (trimmed, any case) and
        // leaves the others readable and unlinked.
        for (nama, at) in [("  pt contoh sejahtera (generated) ", 1), ("Warung Bu Tini", 2), ("PT Ditolak", 3)] {
            let sql = format!("INSERT INTO logistik_komitmen (kolaborator, gudang, tanggal_harap, status, versi, actor, created_at, updated_at) \
                               VALUES ('{nama}', 'DINSOS', '2026-11-0{at}', 'draf', 1, 'lama', '2026-11-0{at}T00:00:00Z', '2026-11-0{at}T00:00:00Z')");
            sigap::on_pool!(&store, p => sqlx::query(&sql).execute(p).await.map(|_| ())).unwrap();
        }
        let migration = std::fs::read_to_string(format!("migrations/{}/1010_ksbb_kolaborator_logistik.sql", if store.kind() == "geopackage" { "sqlite" } else { "postgres" })).unwrap();
        let update = migration.split(';').map(str::trim).find(|s| s.lines().any(|l| l.starts_with("UPDATE"))).unwrap().lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n");
        sigap::on_pool!(&store, p => sqlx::query(&update).execute(p).await.map(|_| ())).unwrap();
        let legacy: Vec<(Option<i64>, String)> = sigap::logistics::store::list_komitmen(&store, None).await.unwrap().into_iter().filter(|k| k.actor == "lama").map(|k| (k.kolaborator_id, k.kolaborator)).collect();
        assert_eq!(legacy, [(None, "PT Ditolak".into()), (None, "Warung Bu Tini".into()), (Some(approved), "  pt contoh sejahtera (generated) ".into())]);
        // Bidang Kolaborasi links an unlinked one later, at its versi; the typed name stays.
        let tini = sigap::logistics::store::list_komitmen(&store, None).await.unwrap().into_iter().find(|k| k.kolaborator == "Warung Bu Tini").unwrap().id;
        let linked = sigap::logistics::store::list_komitmen(&store, None).await.unwrap().into_iter().find(|k| k.actor == "lama" && k.kolaborator_id.is_some()).unwrap().id;
        let link = |id: i64, b: serde_json::Value, t: Option<&str>| {
            let (app, t) = (app.clone(), t.map(str::to_string));
            async move { call(&app, "POST", &format!("/api/v1/logistik/komitmen/{id}/kolaborator"), t.as_deref(), None, Some(b)).await }
        };
        let snapshot = counts().await;
        problem(&link(tini, serde_json::json!({"kolaborator_id": 9999, "versi": 1}), k).await, 422, "kolaborator_id");
        problem(&link(tini, serde_json::json!({"kolaborator_id": pending, "versi": 1}), k).await, 422, "kolaborator_id");
        problem(&link(tini, serde_json::json!({"kolaborator_id": rejected, "versi": 1}), k).await, 422, "kolaborator_id");
        problem(&link(tini, serde_json::json!({"kolaborator_id": approved, "versi": 7}), k).await, 409, "versi");
        problem(&link(linked, serde_json::json!({"kolaborator_id": approved, "versi": 1}), k).await, 409, "kolaborator_id");
        problem(&link(id, serde_json::json!({"kolaborator_id": approved, "versi": 3}), k).await, 409, "kolaborator_id");
        problem(&link(99_999, serde_json::json!({"kolaborator_id": approved, "versi": 1}), k).await, 404, "id");
        problem(&link(tini, serde_json::json!({"kolaborator_id": approved}), k).await, 422, "versi");
        problem(&link(tini, serde_json::json!({"kolaborator_id": approved, "versi": 1}), Some(&auditor)).await, 403, "");
        assert_eq!(counts().await, snapshot, "a refused link changed a table");
        let l = link(tini, serde_json::json!({"kolaborator_id": approved, "versi": 1}), k).await;
        assert_eq!(l.0, StatusCode::OK, "{}", l.1);
        assert_eq!((l.1["kolaborator_id"].as_i64(), l.1["kolaborator"].as_str(), l.1["versi"].as_i64()), (Some(approved), Some("Warung Bu Tini"), Some(2)));
        let trail = sigap::store::audit::history(&store, "logistik_komitmen", &tini.to_string()).await.unwrap();
        assert_eq!(trail.last().unwrap().action, "logistik.komitmen.kolaborator");
        // The one list: each registry entry counts its logistics pledges.
        let mine = sigap::logistics::store::list_komitmen_of(&store, None, Some(approved)).await.unwrap().len() as i64;
        let reg = call(&app, "GET", "/api/v1/ksbb/kolaborator", k, None, None).await;
        let entry = |id: i64| reg.1.as_array().unwrap().iter().find(|x| x["id"] == id).cloned().unwrap();
        assert_eq!((entry(approved)["komitmen_logistik"].as_i64(), entry(approved)["konfirmasi_ksbb"].as_i64()), (Some(mine), Some(0)), "{}", reg.1);
        assert_eq!(entry(pending)["komitmen_logistik"], 0);
        assert!(mine >= 3, "the new pledge and two linked old ones: {mine}");
    })
    .await;
}

/// Sum of `jumlah` per (gudang, barang, lot) of a table, sorted.
async fn per_lot(store: &Store, table: &str) -> Vec<(String, String, String, i64)> {
    let sql = format!("SELECT gudang, barang, lot, CAST(SUM(jumlah) AS BIGINT) FROM {table} GROUP BY gudang, barang, lot HAVING SUM(jumlah) <> 0 ORDER BY gudang, barang, lot");
    sigap::on_pool!(store, p => sqlx::query_as(&sql).fetch_all(p).await.unwrap())
}

/// The generated flow of `sigap init` (receipts, a pledge, requests in every state): refused
/// whole on a store without the demo catalog, then loaded through `ops` — pledges received in
/// part and in full, a line partly refused with its reason, lots with expiry where the item needs
/// one, the ledger equal to the balances, stock out exactly what was dispatched, history per step,
/// everything marked generated, and the recap saying so; a second load adds nothing.
#[tokio::test]
async fn demo_flow_on_both_stores() {
    use sigap::logistics::demo;
    use sigap::logistics::permintaan::Status;
    testing::for_each_store(|store| async move {
        let app = app(&store).await;
        let atlas = atlas(&store).await;
        let today = sigap::logistics::model::jakarta_today();
        // Bad: no catalog, gudang or pledges yet — refused, nothing written.
        let tables = ["logistik_penerimaan", "logistik_permintaan", "logistik_mutasi", "logistik_komitmen", "audit_log"];
        let empty = counts(&store, &tables).await;
        assert!(demo::load(&store, &atlas, today).await.is_err(), "the flow needs the demo catalog and gudang");
        assert_eq!(counts(&store, &tables).await, empty);
        assert_eq!(empty[..4], [0, 0, 0, 0]);
        let (s, rekap) = call(&app, "GET", "/api/v1/publik/logistik/rekap", None, None, None).await;
        assert_eq!((s, &rekap["generated"]), (StatusCode::OK, &serde_json::json!(false)), "{rekap}");

        // Good.
        sigap::logistics::load_demo(&store, &atlas).await.unwrap();
        let out = demo::load(&store, &atlas, today).await.unwrap();
        assert_eq!((out.penerimaan, out.komitmen), (3, 1), "{out:?}");
        let per_state: Vec<(Status, usize)> = out.permintaan.clone();
        assert_eq!(per_state.iter().map(|(s, _)| *s).collect::<Vec<_>>(), Status::ALL);
        assert!(per_state.iter().all(|(_, n)| *n >= 1), "every state of the request machine: {per_state:?}");
        let requests = sigap::logistics::store::list_permintaan(&store, None, None).await.unwrap();
        assert_eq!(requests.len(), out.permintaan_total());
        for s in Status::ALL {
            let n = requests.iter().filter(|r| r.status == s.as_str()).count();
            assert_eq!(Some(n), per_state.iter().find(|x| x.0 == s).map(|x| x.1), "{s:?}");
        }
        assert!(requests.iter().all(|r| r.generated && r.actor == "sigap-init"));
        let receipts = sigap::logistics::store::list_penerimaan(&store, None).await.unwrap();
        assert!(receipts.len() == 3 && receipts.iter().all(|r| r.generated && r.bast_tanggal < today && r.bast_nomor.starts_with("BAST/DEMO/")));
        let pledges = sigap::logistics::store::list_komitmen(&store, None).await.unwrap();
        let mut states: Vec<&str> = pledges.iter().map(|k| k.status.as_str()).collect();
        states.sort();
        assert_eq!(states, ["batal", "diterima_sebagian", "draf", "selesai"]);
        assert!(pledges.iter().all(|k| k.generated), "demo pledges are marked");

        // Each receipt line: lots with an expiry where the item needs one; one line partly refused with its reason.
        let mut refused = 0;
        for r in &receipts {
            let full = sigap::logistics::store::get_penerimaan(&store, r.id).await.unwrap().unwrap();
            for b in &full.1 {
                let item = sigap::logistics::store::get_barang(&store, &b.barang).await.unwrap().unwrap();
                assert_eq!(b.kedaluwarsa.is_some(), item.barang.perlu_kedaluwarsa, "{}", b.barang);
                assert!(b.kedaluwarsa.is_none_or(|k| k > today));
                if b.ditolak > 0 {
                    assert!(b.diterima > 0 && b.alasan_tolak.is_some(), "partly refused with a reason: {b:?}");
                    refused += 1;
                }
            }
        }
        assert!(refused >= 1);

        // The ledger equals the balances lot by lot, nothing negative; dispatched quantities left stock.
        let (ledger, saldo) = (per_lot(&store, "logistik_mutasi").await, per_lot(&store, "logistik_saldo").await);
        assert_eq!(ledger, saldo);
        assert!(saldo.iter().all(|l| l.3 > 0), "{saldo:?}");
        for r in requests.iter().filter(|r| r.status == "dikirim" || r.status == "diterima") {
            let (_, baris, riwayat, kiriman) = sigap::logistics::store::get_permintaan(&store, r.id).await.unwrap().unwrap();
            let sent: i64 = baris.iter().map(|b| b.dikirim.unwrap_or(0)).sum();
            assert!(sent > 0 && sent == -kiriman.iter().map(|m| m.jumlah).sum::<i64>(), "request {} left stock as dispatched", r.id);
            assert!(riwayat.len() >= 3, "a history row per step: {riwayat:?}");
        }
        // The returned-then-resubmitted request has its whole history.
        assert!(requests.iter().any(|r| r.status == "diterima" && r.versi == 6));

        // The public recap says it holds generated data; so does the page.
        let (s, rekap) = call(&app, "GET", "/api/v1/publik/logistik/rekap", None, None, None).await;
        assert_eq!((s, &rekap["generated"]), (StatusCode::OK, &serde_json::json!(true)), "{rekap}");
        let periode = sigap::logistics::laporan::Periode::sejak_awal(today);
        let lap = sigap::logistics::ops::laporan(&store, &atlas, periode, today).await.unwrap();
        assert!(lap.generated, "the report says so too");
        let xlsx = sigap::logistics::laporan::xlsx(&lap).unwrap();
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
        let ringkasan = calamine::Reader::worksheet_range(&mut wb, "Ringkasan").unwrap();
        assert!(ringkasan.rows().any(|r| r.iter().any(|c| c.to_string().contains("data contoh (dibangkitkan)"))), "the XLSX summary sheet carries the note");
        let page = sigap::logistics::laporan::html(&lap.into());
        assert!(page.contains("data contoh (dibangkitkan)"), "{page}");

        // A second load adds nothing.
        let before = counts(&store, &tables).await;
        assert_eq!(demo::load(&store, &atlas, today).await.unwrap(), Default::default());
        assert_eq!(counts(&store, &tables).await, before);
    })
    .await;
}
