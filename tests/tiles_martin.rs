//! sigap's own tiles and martin's (tiles/martin.yaml + tiles/martin.sql over the test PostGIS
//! loaded with the shipped data, a few KSBB sites and the demo gudang with stock) carry the same
//! layers, feature codes, ids and attribute names; the gudang layer also the same attribute values.
//! martin is installed by scripts/martin.sh (run by scripts/test.sh before the tests; cached).

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use sigap::api::{self, AppState, Config};
use sigap::store::{testing, Store};
use sigap::tiles::mvt::{decode, Decoded, Prop};
use sigap::tiles::tile::to_world;
use sigap::tiles::TileId;
use sigap::wilayah::{AtlasHandle, Level};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

/// Kills martin when the test ends, passed or not.
struct Martin(Child);

impl Drop for Martin {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// martin's path. Installing it takes ~20 minutes, which `scripts/test.sh` does in its install
/// step with a message; a test never builds it silently, it fails saying how to install it.
fn martin_binary() -> String {
    let out = Command::new(root().join("scripts/martin.sh")).arg("--check").stderr(Stdio::inherit()).output().expect("run scripts/martin.sh");
    assert!(out.status.success(), "martin 1.14.0 is not installed: run `scripts/martin.sh` once (about 20 minutes; `make test` does it first)");
    String::from_utf8(out.stdout).unwrap().lines().last().expect("martin path").to_string()
}

/// Minimal HTTP/1.1 GET (no client crate in the tree): status and body, de-chunked.
async fn http_get(port: u16, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(std::io::ErrorKind::InvalidData)?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").ok_or(std::io::ErrorKind::InvalidData)?;
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| std::io::ErrorKind::InvalidData)?;
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        body = out;
    }
    Ok((status, body))
}

fn tile_of(lon: f64, lat: f64, z: u8) -> TileId {
    let (x, y) = to_world(lon, lat);
    let n = (1u64 << z) as f64;
    TileId { z, x: (x * n) as u32, y: (y * n) as u32 }
}

/// kode → (id, sorted attribute names) of the one layer named `layer`.
fn summary(bytes: &[u8], layer: &str) -> BTreeMap<String, (Option<u64>, Vec<String>)> {
    let layers = decode(bytes).expect("decodes");
    assert_eq!(layers.len(), 1, "one layer");
    assert_eq!(layers[0].0, layer);
    layers[0]
        .2
        .iter()
        .map(|f: &Decoded| {
            let mut keys: Vec<String> = f.props.iter().map(|(k, _)| k.clone()).collect();
            keys.sort();
            (f.prop("kode").and_then(Prop::as_str).expect("kode").to_string(), (f.id, keys))
        })
        .collect()
}

/// kode → attribute name → value of every feature (for the gudang layer, whose values are
/// computed on both sides from the same stock).
fn values(bytes: &[u8]) -> BTreeMap<String, BTreeMap<String, String>> {
    decode(bytes).expect("decodes")[0]
        .2
        .iter()
        .map(|f| (f.prop("kode").and_then(Prop::as_str).unwrap_or_default().to_string(), f.props.iter().map(|(k, v)| (k.clone(), format!("{v:?}"))).collect()))
        .collect()
}

#[tokio::test]
async fn martin_serves_the_same_features_as_sigap() {
    let martin = martin_binary();
    let store = testing::postgis().await;
    load_shipped(&store, Level::Rw).await;
    let Store::Postgis(pool) = &store else { unreachable!() };
    let sql = std::fs::read_to_string(root().join("tiles/martin.sql")).unwrap();
    sqlx::raw_sql(&sql).execute(pool).await.expect("tiles/martin.sql applies");
    sqlx::raw_sql(&sql).execute(pool).await.expect("tiles/martin.sql is idempotent");
    // Kota/kecamatan are drawn from the dissolved kelurahan: one row each, no hole under 5 000 m².
    let (rows, areas, small_holes): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM sigap_tile_dissolved), (SELECT count(*) FROM kota) + (SELECT count(*) FROM kecamatan),
                (SELECT count(*) FROM sigap_tile_dissolved d, ST_Dump(d.geom) p, generate_series(1, ST_NumInteriorRings(p.geom)) n
                 WHERE ST_Area(ST_MakePolygon(ST_InteriorRingN(p.geom, n))::geography) < 5000)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((rows, small_holes), (areas, 0));
    let db: String = sqlx::query_scalar("SELECT current_database()").fetch_one(pool).await.unwrap();
    let base = testing::pg_url();
    let url = format!("{}/{db}", base.rsplit_once('/').unwrap().0);

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut martin = Martin(
        Command::new(&martin)
            .arg("--config")
            .arg(root().join("tiles/martin.yaml"))
            .arg("--listen-addresses")
            .arg(format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start martin"),
    );
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(Some(code)) = martin.0.try_wait() {
            panic!("martin exited with {code} (its log is above)");
        }
        if http_get(port, "/health").await.is_ok_and(|(s, _)| s == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "martin did not answer /health on port {port}");

    let atlas = atlas(&store).await;
    sigap::logistics::load_demo(&store, &atlas).await.expect("demo catalog and gudang");
    let app = api::router(AppState::new(store.clone(), AtlasHandle::new(atlas), Arc::new(Config::default())));
    let places = [(106.8272, -6.1754), (106.8206, -6.3125), (106.8830, -6.1030), (106.7400, -6.1600), (106.9300, -6.2500)];
    // KSBB sites of the three kinds with UMKM, through the API, for the site layers.
    let admin = format!("Bearer {}", sigap::store::tokens::create(&store, "admin", None, None).await.unwrap());
    let post = |uri: &'static str, ctype: &'static str, body: String| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            let req = Request::post(uri).header("authorization", admin).header("content-type", ctype).body(Body::from(body)).unwrap();
            app.oneshot(req).await.unwrap().status()
        }
    };
    for (i, jenis, p) in [(0, "lokbin", places[0]), (1, "loksem", places[1]), (3, "promosi", places[3]), (4, "lokbin", places[4])] {
        let body = serde_json::json!({"kode": format!("M-{i}"), "nama": format!("Lokasi {i}"), "jenis": jenis, "lon": p.0, "lat": p.1, "kapasitas": 10});
        assert_eq!(post("/api/v1/ksbb/sites", "application/json", body.to_string()).await, StatusCode::CREATED);
    }
    let csv = "kode,nama_usaha,nama_pemilik,sektor,dinas,lokasi\nM-U1,W1,P1,kuliner,ppkukm,M-0\nM-U2,W2,P2,kuliner,ppkukm,M-0\nM-U3,W3,P3,kuliner,ppkukm,M-1\n";
    assert_eq!(post("/api/v1/ksbb/umkm/import", "text/csv", csv.to_string()).await, StatusCode::OK);
    // Stock at two gudang through receipts (which refresh sigap's layer): DINSOS with six items (the
    // layer lists five), one of them in fractional liters; BALAIKOTA with one; the others empty.
    let receipt = |gudang: &str, bast: &str, baris: serde_json::Value| {
        let body = serde_json::json!({"gudang": gudang, "pengirim": "Donatur", "bast_nomor": bast, "bast_tanggal": chrono::Utc::now().date_naive().to_string(), "baris": baris});
        let req = Request::post("/api/v1/logistik/penerimaan").header("authorization", admin.clone()).header("idempotency-key", bast).header("content-type", "application/json").body(Body::from(body.to_string())).unwrap();
        let app = app.clone();
        async move { app.oneshot(req).await.unwrap().status() }
    };
    let line = |barang: &str, jumlah: f64, exp: bool| {
        let mut l = serde_json::json!({"barang": barang, "satuan": if barang == "PANGAN-MINYAK-GORENG" { "liter" } else { "pcs" }, "jumlah_diumumkan": jumlah, "jumlah_diterima": jumlah, "jumlah_ditolak": 0});
        if exp {
            l["kedaluwarsa"] = "2099-12-31".into();
        }
        l
    };
    let dinsos = serde_json::json!([line("APD-MASKER-3PLY", 2000.0, false), line("APD-MASKER-N95", 400.0, false), line("APD-FACE-SHIELD", 40.0, false),
        line("ALKES-THERMOGUN", 12.0, false), line("ALKES-OKSIMETER", 12.0, false), line("PANGAN-MINYAK-GORENG", 7.5, true)]);
    assert_eq!(receipt("DINSOS", "BAST/M/1", dinsos).await, StatusCode::CREATED);
    assert_eq!(receipt("BALAIKOTA", "BAST/M/2", serde_json::json!([line("APD-MASKER-N95", 20.0, false)])).await, StatusCode::CREATED);
    let gudang: Vec<(f64, f64)> = sigap::logistics::store::list_gudang(&store).await.unwrap().iter().map(|g| (g.lon, g.lat)).collect();
    let (mut compared, mut gudang_stock) = (0, 0);
    for (layer, zooms) in [("kota", &[9u8, 10, 11][..]), ("kecamatan", &[11, 12]), ("kelurahan", &[12, 13, 14]), ("rw", &[14, 15, 16]), ("lokbin", &[10, 12, 14, 16]), ("loksem", &[12, 14]), ("promosi", &[14]), ("gudang", &[10, 14, 16])] {
        let points = if layer == "gudang" { &gudang[..] } else { &places[..] };
        let mut tiles: Vec<TileId> = zooms.iter().flat_map(|&z| points.iter().map(move |p| tile_of(p.0, p.1, z))).collect();
        tiles.push(TileId { z: 10, x: 0, y: 0 }); // empty in both
        for t in tiles {
            let res = app
                .clone()
                .oneshot(Request::builder().uri(format!("/tiles/{layer}/{}/{}/{}.mvt", t.z, t.x, t.y)).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let ours_status = res.status();
            let ours = res.into_body().collect().await.unwrap().to_bytes();
            let (theirs_status, theirs) = http_get(port, &format!("/{layer}/{}/{}/{}", t.z, t.x, t.y)).await.expect("martin answers");
            assert_eq!(ours_status.as_u16(), theirs_status, "{layer} {t}: status");
            if ours_status == StatusCode::NO_CONTENT {
                continue;
            }
            let (a, b) = (summary(&ours, layer), summary(&theirs, layer));
            assert_eq!(a, b, "{layer} {t}: sigap vs martin");
            if layer == "gudang" {
                assert_eq!(values(&ours), values(&theirs), "{layer} {t}: attribute values, sigap vs martin");
                gudang_stock += values(&ours).values().filter(|v| v.contains_key("stok_5")).count();
            }
            compared += a.len();
        }
    }
    assert!(compared > 100, "compared {compared} features");
    assert!(gudang_stock >= 3, "DINSOS with five listed items compared in {gudang_stock} tiles");

    // A kelurahan edit redoes its kecamatan and kota through the triggers, and nothing else.
    let dissolved = |kode: &'static str| async move {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT ST_AsBinary(geom) FROM sigap_tile_dissolved WHERE kode = $1").bind(kode).fetch_one(pool).await.unwrap()
    };
    let before = [dissolved("31.71.01").await, dissolved("31.71").await, dissolved("31.72").await];
    sqlx::query("UPDATE kelurahan SET geom = ST_Multi(ST_MakeEnvelope(106.82, -6.18, 106.83, -6.17, 4326)) WHERE kode = '31.71.01.1001'")
        .execute(pool)
        .await
        .unwrap();
    let after = [dissolved("31.71.01").await, dissolved("31.71").await, dissolved("31.72").await];
    assert_ne!(before[0], after[0], "kecamatan 31.71.01 redone");
    assert_ne!(before[1], after[1], "kota 31.71 redone");
    assert_eq!(before[2], after[2], "kota 31.72 untouched");
}
