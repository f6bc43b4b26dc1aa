//! KSBB map and roll-up on both stores (issue 13 part 8): the public roll-up per kelurahan and kota
//! equals a direct count after every kind of write (sites, UMKM import, Konfirmasi, Realisasi,
//! retire; through HTTP and through `ops` as the CLI or another process would), answered from the
//! cache between writes; the site layers as vector tiles styled by the share of UMKM reached,
//! redrawn after those writes, with no personal data; bad queries named.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sigap::api::{self, AppState, Config};
use sigap::ksbb::{model, ops};
use sigap::store::{testing, Store};
use sigap::tiles::mvt::{decode, Prop};
use sigap::wilayah::{AtlasHandle, Level};
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

struct Res {
    status: StatusCode,
    etag: Option<String>,
    bytes: Vec<u8>,
}

impl Res {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).to_string()
    }
}

async fn call(app: &axum::Router, method: &str, uri: &str, headers: &[(&str, &str)], body: Option<Value>) -> Res {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app.clone().oneshot(req.body(body.map_or(Body::empty(), |b| Body::from(b.to_string()))).unwrap()).await.unwrap();
    let status = res.status();
    let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    Res { status, etag, bytes: res.into_body().collect().await.unwrap().to_bytes().to_vec() }
}

fn problem(r: &Res, status: u16, field: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    assert_eq!(r.json()["field"], field, "{}", r.text());
}

/// The tile of a layer holding (lon, lat) at z14, and the feature with `kode` in it.
async fn feature(app: &axum::Router, layer: &str, lon: f64, lat: f64, kode: &str) -> (Res, Option<BTreeMap<String, Prop>>) {
    let (x, y) = sigap::tiles::tile::to_world(lon, lat);
    let n = f64::from(1u32 << 14);
    let r = call(app, "GET", &format!("/tiles/{layer}/14/{}/{}.mvt", (x * n) as u32, (y * n) as u32), &[], None).await;
    if r.status == StatusCode::NO_CONTENT {
        return (r, None);
    }
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let layers = decode(&r.bytes).unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].0, layer);
    let f = layers[0].2.iter().find(|f| f.props.iter().any(|(k, v)| k == "kode" && *v == Prop::Str(kode.into()))).map(|f| f.props.iter().cloned().collect());
    (r, f)
}

/// Target, pledged and reached UMKM per kelurahan, counted straight from the tables (an
/// independent formulation of the roll-up's rule), and the active sites per kelurahan.
async fn direct(store: &Store) -> BTreeMap<String, [i64; 4]> {
    let sql = "SELECT u.kelurahan AS k, COUNT(*) AS target,
        SUM(CASE WHEN EXISTS (SELECT 1 FROM ksbb_konfirmasi_site ks JOIN ksbb_konfirmasi k ON k.id = ks.konfirmasi_id
                              WHERE ks.site_id = u.site_id AND k.bentuk <> 'pinjaman')
                   OR EXISTS (SELECT 1 FROM ksbb_konfirmasi_umkm ku WHERE ku.umkm_kode = u.kode) THEN 1 ELSE 0 END) AS pledged,
        SUM(CASE WHEN EXISTS (SELECT 1 FROM ksbb_realisasi_umkm ru JOIN ksbb_realisasi r ON r.id = ru.realisasi_id
                              WHERE ru.umkm_kode = u.kode AND r.jenis IN ('bast', 'disbursement') AND ru.jumlah > 0) THEN 1 ELSE 0 END) AS reached
        FROM ksbb_umkm u WHERE u.status_verifikasi <> 'ditolak' AND u.kelurahan IS NOT NULL GROUP BY u.kelurahan";
    let rows = sigap::on_pool!(store, p => sqlx::query(sql).fetch_all(p).await.unwrap().iter()
        .map(|r| (r.get::<String, _>("k"), [r.get::<i64, _>("target"), r.get::<i64, _>("pledged"), r.get::<i64, _>("reached"), 0])).collect::<Vec<_>>());
    let mut out: BTreeMap<String, [i64; 4]> = rows.into_iter().collect();
    let sites = sigap::on_pool!(store, p => sqlx::query("SELECT kelurahan, COUNT(*) AS n FROM ksbb_site WHERE status = 'aktif' GROUP BY kelurahan").fetch_all(p).await.unwrap().iter()
        .map(|r| (r.get::<String, _>("kelurahan"), r.get::<i64, _>("n"))).collect::<Vec<_>>());
    for (k, n) in sites {
        out.entry(k).or_default()[3] = n;
    }
    out
}

fn numbers(w: &Value) -> [i64; 4] {
    [w["target_umkm"].as_i64().unwrap(), w["umkm_dijanjikan"].as_i64().unwrap(), w["umkm_terealisasi"].as_i64().unwrap(), w["lokasi"].as_i64().unwrap()]
}

/// The roll-up per kelurahan and per kota equals the direct count; returns the kelurahan answer.
async fn check(app: &axum::Router, store: &Store) -> Value {
    let want = direct(store).await;
    let kel = call(app, "GET", "/api/v1/ksbb/rekap?tingkat=kelurahan", &[], None).await;
    assert_eq!(kel.status, StatusCode::OK, "{}", kel.text());
    let kel = kel.json();
    let got: BTreeMap<String, [i64; 4]> =
        kel["wilayah"].as_array().unwrap().iter().map(|w| (w["kode"].as_str().unwrap().to_string(), numbers(w))).filter(|(_, n)| *n != [0; 4]).collect();
    assert_eq!(got, want, "kelurahan roll-up vs direct count");
    assert!(kel["wilayah"].as_array().unwrap().len() > 200, "every kelurahan is listed, zeros included");
    let kota = call(app, "GET", "/api/v1/ksbb/rekap?tingkat=kota", &[], None).await.json();
    let mut want_kota: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for (k, n) in &want {
        let e = want_kota.entry(k[..5].to_string()).or_default();
        for i in 0..4 {
            e[i] += n[i];
        }
    }
    let got_kota: BTreeMap<String, [i64; 4]> =
        kota["wilayah"].as_array().unwrap().iter().map(|w| (w["kode"].as_str().unwrap().to_string(), numbers(w))).filter(|(_, n)| *n != [0; 4]).collect();
    assert_eq!(got_kota, want_kota, "kota roll-up vs direct count");
    assert_eq!(kota["total"], kel["total"]);
    kel
}

async fn kolaborator(store: &Store, body: Value, pks: &str) -> i64 {
    let input: model::KolaboratorInput = serde_json::from_value(body).unwrap();
    let mut tx = store.begin().await.unwrap();
    let rec = ops::register_kolaborator(&mut tx, &input.check().unwrap(), "test").await.unwrap();
    let r = model::Review::Setujui { nomor: pks.into(), mulai: "2026-01-01".parse().unwrap(), selesai: "2027-12-31".parse().unwrap() };
    ops::review_kolaborator(&mut tx, rec.id, &r, "test").await.unwrap();
    tx.commit().await.unwrap();
    rec.id
}

async fn import(store: &Store, at: &sigap::wilayah::Atlas, csv: &str) {
    let table = model::csv_table(csv).unwrap();
    let mut tx = store.begin().await.unwrap();
    ops::import_umkm(&mut tx, at, &table, ops::ImportMode { dry_run: false, skip_invalid: false }, "test", false, &|_, _| {}).await.unwrap();
    tx.commit().await.unwrap();
}

const A: (f64, f64) = (106.8272, -6.1754);
const B: (f64, f64) = (106.8650, -6.1380);
const C: (f64, f64) = (106.8300, -6.1800);
const D: (f64, f64) = (106.8600, -6.1400);

#[tokio::test]
async fn rekap_and_site_tiles_follow_writes_on_both_stores() {
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let at = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas(&store).await), Arc::new(Config::default())));
        let token = |role: &'static str, unit: Option<String>| {
            let store = store.clone();
            async move { format!("Bearer {}", sigap::store::tokens::create(&store, role, unit.as_deref(), None).await.unwrap()) }
        };
        let citata = token("citata", None).await;

        // Nothing yet: a roll-up of zeros over every kota, and empty site tiles.
        let empty = check(&app, &store).await;
        assert_eq!(empty["total"]["target_umkm"], 0);
        assert_eq!(feature(&app, "lokbin", A.0, A.1, "P-A").await.0.status, StatusCode::NO_CONTENT, "an empty tile, cached");

        for (kode, jenis, (lon, lat)) in [("P-A", "lokbin", A), ("P-B", "lokbin", B), ("P-C", "loksem", C), ("P-D", "promosi", D)] {
            let s = json!({"kode": kode, "nama": format!("Lokasi {kode}"), "jenis": jenis, "lon": lon, "lat": lat, "kapasitas": 20,
                "pj_nama": "Ibu Rahasia Pengelola", "pj_telepon": "081399998888", "sumber": "uji (generated)"});
            let r = call(&app, "POST", "/api/v1/ksbb/sites", &[("authorization", citata.as_str())], Some(s)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        }
        let kel_a = call(&app, "GET", "/api/v1/ksbb/sites/P-A", &[], None).await.json()["kelurahan"].as_str().unwrap().to_string();
        import(&store, &at, &format!(
            "kode,nama_usaha,nama_pemilik,telepon,sektor,dinas,status_verifikasi,kelurahan,lokasi\n\
             U-1,Warung 1,Pemilik Rahasia Satu,081200000001,kuliner,ppkukm,terverifikasi,,P-A\n\
             U-2,Warung 2,Pemilik Dua,081200000002,kuliner,ppkukm,terverifikasi,,P-A\n\
             U-3,Warung 3,Pemilik Tiga,,kuliner,ppkukm,belum,,P-A\n\
             U-4,Warung 4,Pemilik Empat,,kuliner,kpkp,terverifikasi,,P-B\n\
             U-5,Warung 5,Pemilik Lima,,kriya,parekraf,terverifikasi,,P-C\n\
             U-6,Warung 6,Pemilik Enam,,kriya,parekraf,ditolak,,P-A\n\
             U-7,Warung 7,Pemilik Tujuh,,jasa,sosial,terverifikasi,{kel_a},\n"
        ))
        .await;
        // The empty tile cached before the sites existed is dropped: the tile path catches up itself.
        let (_, f) = feature(&app, "lokbin", A.0, A.1, "P-A").await;
        let f = f.expect("site A in its tile");
        assert_eq!((&f["umkm"], &f["tercapai"], &f["persen"], &f["jenis"]), (&Prop::Int(3), &Prop::Int(0), &Prop::Int(0), &Prop::Str("lokbin".into())));
        assert!(f.keys().all(|k| ["kode", "nama", "jenis", "kelurahan", "kapasitas", "umkm", "dijanjikan", "tercapai", "persen", "generated"].contains(&k.as_str())), "{f:?}");
        let before = check(&app, &store).await;
        assert_eq!(before["total"]["target_umkm"], 6, "U-6 is ditolak: {}", before["total"]);
        assert_eq!(before["total"]["lokasi"], 4);

        // Pledges: goods at A and C (10 × Rp 100.000), a loan naming U-4 (plafon Rp 500.000).
        let donatur = kolaborator(&store, json!({"jenis": "donatur", "nama": "Donatur Peta", "kontak_nama": "D", "kontak_email": "d@x.id", "tampil_publik": true}), "PKS/P/D").await;
        let fintech = kolaborator(&store, json!({"jenis": "fintech", "nama": "PT Fintech Peta", "badan_hukum": "PT", "nomor_badan_hukum": "AHU-P-F",
            "nomor_ojk": "KEP-P/2020", "kontak_nama": "F", "kontak_email": "f@x.id"}), "PKS/P/F").await;
        let (td, tf) = (token("kolaborator", Some(donatur.to_string())).await, token("kolaborator", Some(fintech.to_string())).await);
        let goods = json!({"bentuk": "sarana", "uraian": "Gerobak", "lokasi": ["P-A", "P-C"], "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2026-12-15",
            "nilai_per_paket": 100_000, "jumlah_paket": 10});
        let r = call(&app, "POST", "/api/v1/ksbb/konfirmasi", &[("authorization", td.as_str())], Some(goods)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id1 = r.json()["id_kolaborasi"].as_str().unwrap().to_string();
        let loan = json!({"bentuk": "pinjaman", "uraian": "Modal kerja", "lokasi": ["P-B"], "jadwal_mulai": "2026-12-01", "jadwal_selesai": "2027-06-01",
            "jumlah_pinjaman": 800_000, "biaya_admin": 10_000, "jadwal_akad": "2026-12-05", "draf_econtract": "EC/DRAFT/P", "penerima": [{"kode": "U-4", "plafon": 500_000}]});
        let r = call(&app, "POST", "/api/v1/ksbb/konfirmasi", &[("authorization", tf.as_str())], Some(loan)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id2 = r.json()["id_kolaborasi"].as_str().unwrap().to_string();
        let pledged = check(&app, &store).await;
        assert_eq!(pledged["total"]["konfirmasi"], 2);
        assert_eq!(pledged["total"]["umkm_dijanjikan"], 5, "U-1..3 at A, U-5 at C, U-4 named: {}", pledged["total"]);
        assert_eq!(pledged["total"]["nilai_dijanjikan"], 1_000_000 + 500_000);
        assert_eq!(pledged["total"]["umkm_terealisasi"], 0);

        // Realisation: a BAST for U-1 (2 packages) and U-5 (1), Rp 300.000 disbursed to U-4.
        let bast = json!({"id_kolaborasi": id1, "jenis": "bast", "nomor_dokumen": "BAST/P/1", "tanggal": "2026-12-03",
            "umkm": [{"kode": "U-1", "jumlah": 2}, {"kode": "U-5", "jumlah": 1}]});
        let r = call(&app, "POST", "/api/v1/ksbb/realisasi", &[("authorization", td.as_str())], Some(bast)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let disb = json!({"id_kolaborasi": id2, "jenis": "disbursement", "nomor_dokumen": "INV-P-1", "tanggal": "2026-12-06", "econtract": "EC-P-1",
            "umkm": [{"kode": "U-4", "jumlah": 300_000}]});
        let r = call(&app, "POST", "/api/v1/ksbb/realisasi", &[("authorization", tf.as_str())], Some(disb)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let real = check(&app, &store).await;
        assert_eq!(real["total"]["umkm_terealisasi"], 3);
        assert_eq!(real["total"]["nilai_terealisasi"], 3 * 100_000 + 300_000);
        assert_eq!(real["total"]["persen_terealisasi"], 50.0);
        let kota_a = &kel_a[..5];
        let one_kota = call(&app, "GET", &format!("/api/v1/ksbb/rekap?tingkat=kelurahan&kota={kota_a}"), &[], None).await.json();
        assert!(one_kota["wilayah"].as_array().unwrap().iter().all(|w| w["kode"].as_str().unwrap().starts_with(kota_a)));
        let kota_total = call(&app, "GET", "/api/v1/ksbb/rekap", &[], None).await.json()["wilayah"].as_array().unwrap().iter().find(|w| w["kode"] == kota_a).unwrap().clone();
        assert_eq!(one_kota["total"]["target_umkm"], kota_total["target_umkm"], "with kota=, the total is the kota's");

        // Between writes the answer comes from the cache: same revision, same body, 304 on its ETag.
        let r1 = call(&app, "GET", "/api/v1/ksbb/rekap?tingkat=kelurahan", &[], None).await;
        let r2 = call(&app, "GET", "/api/v1/ksbb/rekap?tingkat=kelurahan", &[], None).await;
        assert_eq!((r1.bytes.clone(), r1.etag.clone()), (r2.bytes, r2.etag));
        let etag = r1.etag.unwrap();
        assert_eq!(call(&app, "GET", "/api/v1/ksbb/rekap?tingkat=kelurahan", &[("if-none-match", &etag)], None).await.status, StatusCode::NOT_MODIFIED);
        assert_eq!(call(&app, "GET", "/api/v1/ksbb/rekap?tingkat=kota", &[("if-none-match", &etag)], None).await.status, StatusCode::OK, "another level, another ETag");

        // The tile of A is redrawn: 1 of its 3 UMKM reached.
        let (_, f) = feature(&app, "lokbin", A.0, A.1, "P-A").await;
        let f = f.unwrap();
        assert_eq!((&f["umkm"], &f["dijanjikan"], &f["tercapai"], &f["persen"]), (&Prop::Int(3), &Prop::Int(3), &Prop::Int(1), &Prop::Int(33)));
        let (_, c) = feature(&app, "loksem", C.0, C.1, "P-C").await;
        assert_eq!(c.unwrap()["persen"], Prop::Int(100));

        // A write outside HTTP (the CLI, another process): an UMKM more at B. No roll-up request
        // comes first: the tile path itself finds the new revision and redraws B.
        let (_, b) = feature(&app, "lokbin", B.0, B.1, "P-B").await;
        assert_eq!(b.unwrap()["persen"], Prop::Int(100));
        import(&store, &at, "kode,nama_usaha,nama_pemilik,sektor,dinas,lokasi\nU-8,Warung 8,Pemilik Delapan,kuliner,kpkp,P-B\n").await;
        let (_, b) = feature(&app, "lokbin", B.0, B.1, "P-B").await;
        let b = b.unwrap();
        assert_eq!((&b["umkm"], &b["persen"]), (&Prop::Int(2), &Prop::Int(50)));
        check(&app, &store).await;

        // Retiring D takes it off the promosi layer and out of the site counts.
        let (_, d) = feature(&app, "promosi", D.0, D.1, "P-D").await;
        assert!(d.is_some());
        let v = call(&app, "GET", "/api/v1/ksbb/sites/P-D", &[], None).await.etag.unwrap();
        let r = call(&app, "POST", "/api/v1/ksbb/sites/P-D/retire", &[("authorization", citata.as_str()), ("if-match", v.as_str())], Some(json!({"alasan": "pindah"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let (_, d) = feature(&app, "promosi", D.0, D.1, "P-D").await;
        assert!(d.is_none(), "a retired site is not drawn");
        let after = check(&app, &store).await;
        assert_eq!(after["total"]["lokasi"], 3);

        // No personal data in the tiles, their TileJSON, or the roll-up.
        for (layer, (lon, lat)) in [("lokbin", A), ("lokbin", B), ("loksem", C)] {
            let (r, _) = feature(&app, layer, lon, lat, "").await;
            let tj = call(&app, "GET", &format!("/tiles/{layer}.json"), &[], None).await;
            assert_eq!(tj.status, StatusCode::OK, "{}", tj.text());
            for text in [String::from_utf8_lossy(&r.bytes).to_string(), tj.text(), after.to_string()] {
                for secret in ["Rahasia", "081399998888", "081200000001", "Pemilik"] {
                    assert!(!text.contains(secret), "{layer} shows {secret}");
                }
            }
        }

        // Bad queries, each named; a bad tile address too.
        problem(&call(&app, "GET", "/api/v1/ksbb/rekap?tingkat=provinsi", &[], None).await, 400, "tingkat");
        problem(&call(&app, "GET", "/api/v1/ksbb/rekap?kota=31.7", &[], None).await, 400, "kota");
        problem(&call(&app, "GET", "/api/v1/ksbb/rekap?kota=32.71", &[], None).await, 400, "kota");
        problem(&call(&app, "GET", "/api/v1/ksbb/rekap?kota=31.79", &[], None).await, 404, "kota");
        problem(&call(&app, "GET", "/api/v1/ksbb/rekap?level=kota", &[], None).await, 400, "level");
        problem(&call(&app, "GET", "/tiles/lokbin/21/0/0.mvt", &[], None).await, 400, "z");
        problem(&call(&app, "GET", "/tiles/lokbin/14/99999/0.mvt", &[], None).await, 400, "x");
        problem(&call(&app, "GET", "/tiles/lokbinx/14/0/0.mvt", &[], None).await, 404, "layer");
        let still = call(&app, "GET", "/api/v1/ksbb/rekap?tingkat=kelurahan", &[], None).await.json();
        assert_eq!(still["revision"], after["revision"], "reads and refusals write nothing");
    })
    .await;
}

/// The generated demo of `sigap init`: refused whole without its data file, then 30 generated
/// sites at market points on land in mainland kelurahan, UMKM at each, one confirmed
/// collaboration with a BAST — through `ops` — so the roll-up (equal to the direct count) and
/// the tiles show something, marked generated; a second load adds nothing.
#[tokio::test]
async fn generated_demo_on_both_stores() {
    use sigap::ksbb::demo;
    testing::for_each_store(|store| async move {
        load_shipped(&store, Level::Kelurahan).await;
        let at = atlas(&store).await;
        let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas(&store).await), Arc::new(Config::default())));
        let today = sigap::logistics::model::jakarta_today();
        let count = |t: &'static str| {
            let store = store.clone();
            async move { sigap::on_pool!(&store, p => sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(p).await.unwrap()) }
        };
        // Bad: no OSM points file under the data directory — refused, nothing written.
        let err = demo::load(&store, &at, &std::env::temp_dir().join("sigap-no-data"), today).await.unwrap_err();
        assert!(err.to_string().contains(demo::POI_FILE), "{err}");
        assert_eq!((count("ksbb_site").await, count("ksbb_umkm").await), (0, 0));
        let r = call(&app, "GET", "/api/v1/ksbb/rekap?tingkat=kota", &[], None).await.json();
        assert_eq!(r["generated"], false);

        // Good: the demo donor comes from the logistics demo (one collaborator registry).
        sigap::logistics::load_demo(&store, &at).await.unwrap();
        let out = demo::load(&store, &at, &root().join("data"), today).await.unwrap();
        assert_eq!((out.sites, out.konfirmasi, out.realisasi), (demo::SITES, 1, 1), "{out:?}");
        assert!(out.umkm >= 3 * demo::SITES, "{out:?}");
        let sites = sigap::ksbb::store::sites(&store, &Default::default()).await.unwrap();
        assert_eq!(sites.len(), demo::SITES);
        for jenis in ["lokbin", "loksem", "promosi"] {
            assert_eq!(sites.iter().filter(|(s, _)| s.jenis == jenis).count(), demo::SITES / 3, "{jenis}");
        }
        for (s, umkm) in &sites {
            assert!(s.generated && s.sumber.as_deref().is_some_and(|x| x.contains("GENERATED")) && s.nama.contains("GENERATED"), "{s:?}");
            assert!(s.kelurahan.starts_with("31.7") && at.contains(&sigap::wilayah::AreaCode::parse(&s.kelurahan).unwrap(), s.lon, s.lat), "on land in its mainland kelurahan: {s:?}");
            assert!((3..=6).contains(umkm), "{} has {umkm} UMKM", s.kode);
        }
        assert_eq!(count("ksbb_umkm").await, out.umkm as i64);
        let generated_umkm = sigap::on_pool!(&store, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM ksbb_umkm WHERE generated AND telepon IS NULL").fetch_one(p).await.unwrap());
        assert_eq!(generated_umkm, out.umkm as i64);
        // The roll-up equals the direct count and is not empty; it says it holds generated data.
        let kel = check(&app, &store).await;
        let t = &kel["total"];
        assert!(t["target_umkm"].as_i64().unwrap() > 0 && t["umkm_dijanjikan"].as_i64().unwrap() > 0 && t["umkm_terealisasi"].as_i64().unwrap() > 0, "{t}");
        assert_eq!(kel["generated"], true);
        // A site tile draws the demo site, marked generated, with its UMKM.
        let (s, n) = &sites[0];
        let (_, f) = feature(&app, &s.jenis, s.lon, s.lat, &s.kode).await;
        let f = f.unwrap_or_else(|| panic!("{} not in its tile", s.kode));
        assert_eq!(f.get("generated"), Some(&Prop::Bool(true)));
        assert_eq!(f.get("umkm"), Some(&Prop::Int(*n)), "{f:?}");

        // A second load adds nothing.
        let before = (count("ksbb_site").await, count("ksbb_umkm").await, count("ksbb_konfirmasi").await, count("ksbb_realisasi").await, count("audit_log").await);
        assert_eq!(demo::load(&store, &at, &root().join("data"), today).await.unwrap(), Default::default());
        assert_eq!((count("ksbb_site").await, count("ksbb_umkm").await, count("ksbb_konfirmasi").await, count("ksbb_realisasi").await, count("audit_log").await), before);
    })
    .await;
}
