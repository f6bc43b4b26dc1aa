//! Two real `sigap serve` processes on one store: a boundary edit through one is seen by the
//! other's atlas (its revision poller), on both stores. `tests/atlas_sync.rs` covers tiles and
//! progress with two app states in one process; this one proves it across OS processes.

mod common;
use common::*;
use sigap::store::{testing, Store};
use sigap::wilayah::Level;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One HTTP/1.1 request on its own connection; (status, body).
fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let mut conn = TcpStream::connect(addr).expect("connect");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        conn,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("read answer");
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn kelurahan_at(addr: &str, lon: f64, lat: f64) -> String {
    let (status, body) = http(addr, "GET", &format!("/api/v1/locate?lon={lon}&lat={lat}"), None, "");
    assert_eq!(status, 200, "{body}");
    // A chunked answer would wrap the JSON in size lines: take the object.
    let json = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(body.len() - 1)];
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["kelurahan"]["nama"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_boundary_edit_through_one_process_reaches_the_other_process() {
    testing::for_each_store(|store| async move {
        let kind = store.kind();
        load_shipped(&store, Level::Kelurahan).await;
        let admin = sigap::store::tokens::create(&store, "admin", None, None).await.unwrap();
        let url = testing::url_of(&store);
        store.close().await;
        let (a, b) = (serve(&url), serve(&url));
        let (lon, lat) = (106.8330, -6.1800);
        assert_eq!(kelurahan_at(&b.addr, lon, lat), "Gambir", "{kind}");

        // A shrinks Gambir to a square around Monas: the probe point east of it leaves Gambir.
        let square = r#"{"nama":"Gambir","geometry":{"type":"Polygon","coordinates":[[[106.82,-6.18],[106.83,-6.18],[106.83,-6.17],[106.82,-6.17],[106.82,-6.18]]]}}"#;
        let (status, body) = http(&a.addr, "PUT", "/api/v1/wilayah/31.71.01.1001", Some(&admin), square);
        assert_eq!(status, 200, "{kind}: {body}");
        assert_ne!(kelurahan_at(&a.addr, lon, lat), "Gambir", "{kind}: the writer sees its edit at once");
        // B polls the boundaries revision every 250 ms; 10 s is a bound for a loaded machine, not a target.
        let start = Instant::now();
        while kelurahan_at(&b.addr, lon, lat) == "Gambir" {
            assert!(start.elapsed() < Duration::from_secs(10), "{kind}: process B still serves the old Gambir after 10 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        drop((a, b));
        Store::open(&url).await.expect("reopen").close().await;
    })
    .await;
}
