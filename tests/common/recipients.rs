//! Shared by the recipients tests: keys, a request helper, the candidate files and their
//! personal data.
use super::{atlas, load_shipped};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::recipients::{crypt, store as rstore};
use sigap::store::Store;
use sigap::wilayah::{AtlasHandle, Level};
use std::sync::Arc;
use tower::ServiceExt;

pub const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub const HASH_KEY: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const KEL: &str = "31.71.01.1002";
pub const RW1: &str = "31.71.01.1002.001";
pub const RW2: &str = "31.71.01.1002.002";

/// The generated register extract of the tests.
pub fn register_path() -> std::path::PathBuf {
    sigap::store::testing::testdata("recipients/dukcapil_extract.csv")
}

/// Every test sets the same keys (the router reads them from the environment).
pub fn keys() {
    std::env::set_var(crypt::KEY_ENV, KEY);
    std::env::set_var(crypt::HASH_KEY_ENV, HASH_KEY);
    std::env::set_var(sigap::recipients::http::REGISTER_ENV, register_path());
}

pub struct Res {
    pub status: StatusCode,
    pub replayed: bool,
    pub body: Vec<u8>,
}

impl Res {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
}

pub async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, key: Option<&str>, ctype: Option<&str>, body: Vec<u8>) -> Res {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = ctype {
        req = req.header("content-type", c);
    }
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = res.status();
    let replayed = res.headers().get("idempotent-replayed").is_some();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Res { status, replayed, body }
}

pub fn problem(r: &Res, status: u16, field: &str) {
    let j = r.json();
    assert_eq!(r.status.as_u16(), status, "{j}");
    assert_eq!(j["field"], field, "{j}");
}

pub async fn app(store: &Store) -> axum::Router {
    keys();
    load_shipped(store, Level::Rw).await;
    let atlas = atlas(store).await;
    api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())))
}

/// Row counts of every table an import or decision touches: batches, rows, households,
/// near-duplicates, proposals, proposal steps, decrees, decree items, audit entries (index 8), idempotency keys.
pub async fn rows(store: &Store) -> Vec<i64> {
    let mut v = rstore::counts(store).await.unwrap().to_vec();
    for table in ["audit_log", "idempotency"] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        v.push(sigap::on_pool!(store, p => { use sqlx::Row; sqlx::query(&sql).fetch_one(p).await.unwrap().try_get::<i64, _>("n").unwrap() }));
    }
    v
}

pub const HEADER: &str = "NIK,No. KK,Nama,Alamat,RT,RW,Kelurahan,Jumlah Anggota,Program,Telepon";

/// The personal data of the files below: none of it may appear on a public route or in a log.
pub const SECRETS: &[&str] = &[
    "3171014101900001", "3171010101200003", "Siti Aminah", "Jl. Melati No. 5", "081234567890",
    "3273012505850002", "3273010101200004", "Budi Santoso", "Gang Kenari 12", "3171016512920003", "3171010202200005",
];

/// Source 1 (Dinsos): two good rows (one NIK of Jawa Barat: flagged), and one row for each
/// class of bad cell.
pub fn dinsos_csv() -> String {
    format!(
        "{HEADER}\n\
         3171014101900001,3171010101200003,Siti Aminah,Jl. Melati No. 5,1,{RW1},,4,PKH,0812-3456-7890\n\
         3273012505850002,3273010101200004,Budi Santoso,Gang Kenari 12,3,{RW2},,2,,\n\
         3.17101E+15,3171010101200009,Ani,Jl. A,1,{RW1},,3,,\n\
         3171013202900001,3171010101200009,Ani,Jl. A,1,{RW1},,3,,\n\
         317101320290000,3171010101200009,Ani,Jl. A,1,{RW1},,3,,\n\
         31710132029000x1,3171010101200009,Ani,Jl. A,1,{RW1},,3,,\n\
         3171010101900009,3171010101200009,Ani,Jl. A,1,31.71.01.1002.999,,3,,\n\
         3171010101900009,3171010101200009,Ani,Jl. A,abc,1,{KEL},0,BLT,12\n"
    )
}

/// Source 2 (Disnaker): Siti again (same NIK), Budi's household under another head (same No.
/// KK), and a near-duplicate of Siti (similar name and address, other numbers) by RW number and
/// kelurahan name.
pub fn disnaker_csv() -> String {
    format!(
        "nik;no_kk;nama;alamat;rt;rw;kelurahan;jumlah_anggota\n\
         3171014101900001;3171010101200003;SITI AMINAH;Jl Melati 5;1;{RW1};;4\n\
         3171016512920003;3273010101200004;Rina Santoso;Gang Kenari 12;3;{RW2};;2\n\
         3171010101900011;3171010202200005;Siti Aminah.;Jl. Melati No 5;1;1;Cideng;4\n"
    )
}

pub async fn import(app: &axum::Router, token: &str, sumber: &str, name: &str, body: Vec<u8>, key: Option<&str>) -> Res {
    let ctype = if name.ends_with(".xlsx") { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" } else { "text/csv" };
    call(app, "POST", &format!("/api/v1/recipients/batches?sumber={sumber}&nama_file={name}"), Some(token), key, Some(ctype), body).await
}

