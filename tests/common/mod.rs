#![allow(dead_code)]
pub mod recipients;
use sigap::cli::boundaries::{import_path, shipped_layers, shipped_options};
use sigap::store::Store;
use sigap::wilayah::{Atlas, AtlasConfig, Level};
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads the shipped layers up to `upto` (inclusive) through the real importer.
pub async fn load_shipped(store: &Store, upto: Level) {
    for (level, path, generated) in shipped_layers(&root().join("data")) {
        if level > upto {
            break;
        }
        let opts = shipped_options(level, generated);
        import_path(store, &path, &opts, "test").await.unwrap_or_else(|e| panic!("import {level}: {e}"));
    }
}

pub async fn atlas(store: &Store) -> Atlas {
    sigap::cli::load_atlas(store, AtlasConfig::default()).await.expect("load atlas")
}

pub fn test_points() -> Vec<(f64, f64)> {
    sigap::store::testing::osm_test_points().expect("read data/testdata OSM test points")
}

/// `sigap serve` over `url` on a free port of 127.0.0.1, logging at info without colour to a piped
/// stderr, where it announces the address it bound ("sigap listening on http://…").
pub fn spawn_serve(url: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_sigap"))
        .args(["--database-url", url, "serve", "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start sigap serve")
}

/// A `sigap serve` on a free port, killed when dropped.
pub struct Server {
    child: std::process::Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sigap serve` over `url` and waits until it announces its address.
pub fn serve(url: &str) -> Server {
    use std::io::{BufRead, BufReader};
    let mut child = spawn_serve(url);
    let err = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(err).lines();
    let mut log = Vec::new();
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(a) = line.split("sigap listening on http://").nth(1) {
                    break a.trim().to_string();
                }
                log.push(line);
            }
            _ => panic!("sigap serve ended before listening:\n{}", log.join("\n")),
        }
    };
    // Keep draining its log so the pipe never fills.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    Server { child, addr }
}

/// A buffer a test's log subscriber writes to (the privacy tests read the log back).
#[derive(Clone, Default)]
pub struct LogBuf(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Registers a KSBB collaborator (the API body as JSON) and approves it with PKS `pks` through
/// `ops`, in one transaction; its id.
pub async fn approved_kolaborator(store: &Store, body: serde_json::Value, pks: &str) -> i64 {
    use sigap::ksbb::{model, ops};
    let input: model::KolaboratorInput = serde_json::from_value(body).unwrap();
    let mut tx = store.begin().await.unwrap();
    let rec = ops::register_kolaborator(&mut tx, &input.check().unwrap(), "test").await.unwrap();
    let r = model::Review::Setujui { nomor: pks.into(), mulai: "2026-01-01".parse().unwrap(), selesai: "2027-12-31".parse().unwrap() };
    ops::review_kolaborator(&mut tx, rec.id, &r, "test").await.unwrap();
    tx.commit().await.unwrap();
    rec.id
}
