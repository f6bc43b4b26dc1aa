//! The `sigap` binary on both stores: `token create|list|revoke` (expiry, unit check, no
//! secrets listed, revocation seen by the API) and graceful shutdown of `serve` on SIGTERM and
//! Ctrl-C (SIGINT): an in-flight request is answered, the process exits 0.

mod common;
use common::*;
use sigap::store::{testing, Store};
use sigap::wilayah::Level;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::sync::mpsc;

fn sigap(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sigap")).arg("--database-url").arg(db).args(args).output().expect("run sigap");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
}

/// A store with the shipped kota, kecamatan and kelurahan, and the URL the binary opens it by.
async fn store_with_kelurahan(url: &str) -> Store {
    let store = Store::open(url).await.expect("open store");
    load_shipped(&store, Level::Kelurahan).await;
    store
}

#[tokio::test]
async fn token_create_list_revoke_through_the_binary_on_both_stores() {
    let (ok, help, _) = sigap("unused.gpkg", &["token", "create", "--help"]);
    assert!(ok);
    assert!(help.contains("--expires-in-days") && help.contains("default 90") && help.contains("at most 365"), "{help}");

    for url in testing::both_urls().await {
        let store = store_with_kelurahan(&url).await;

        let (ok, token, err) = sigap(&url, &["token", "create", "--role", "operator", "--unit", "31.71.01.1001", "--label", "Gambir"]);
        assert!(ok, "{err}");
        let token = token.trim().to_string();
        assert!(token.starts_with("sgp_"), "{token}");
        let expected = (chrono::Utc::now() + chrono::Duration::days(90)).format("%Y-%m-%d").to_string();
        assert!(err.contains("token 1 (operator) expires on") && err.contains(&expected), "{err}");
        let (ok, _, err) = sigap(&url, &["token", "create", "--role", "operator", "--unit", "dinas-sda", "--expires-in-days", "365"]);
        assert!(ok, "{err}");

        // Bad input, each refused with the reason and nothing stored.
        for (args, says) in [
            (vec!["--role", "operator", "--unit", "31.71.01.9999"], "not a loaded unit"),
            (vec!["--role", "operator", "--unit", "dinas-tidak-ada"], "not a loaded unit"),
            (vec!["--role", "operator"], "needs --unit"),
            (vec!["--role", "admin", "--expires-in-days", "366"], "366"),
            (vec!["--role", "admin", "--expires-in-days", "0"], "0"),
            (vec!["--role", "admin", "--label", "a\u{7}b"], "--label"),
        ] {
            let mut all = vec!["token", "create"];
            all.extend(args.iter());
            let (ok, out, err) = sigap(&url, &all);
            assert!(!ok && out.is_empty(), "{args:?} accepted: {out}");
            assert!(err.contains(says), "{args:?}: {err}");
        }

        let (ok, list, err) = sigap(&url, &["token", "list"]);
        assert!(ok, "{err}");
        let lines: Vec<&str> = list.lines().collect();
        assert_eq!(lines.len(), 3, "a header and two tokens, the refused ones were not stored:\n{list}");
        for col in ["id", "role", "unit", "label", "created", "expires", "revoked", "state"] {
            assert!(lines[0].split_whitespace().any(|c| c == col), "{col} missing: {}", lines[0]);
        }
        assert!(lines[1].contains("31.71.01.1001") && lines[1].contains("Gambir") && lines[1].contains(&expected) && lines[1].ends_with("active"), "{list}");
        assert!(!list.contains(&token) && !list.contains("sgp_"), "a secret is listed:\n{list}");
        let hash: String = sqlx_hash(&store).await;
        assert!(!list.contains(&hash), "a hash is listed:\n{list}");

        let (ok, out, err) = sigap(&url, &["token", "revoke", "1", "--reason", "bocor"]);
        assert!(ok, "{err}");
        assert!(out.starts_with("token 1 revoked on"), "{out}");
        let (ok, _, err) = sigap(&url, &["token", "revoke", "1"]);
        assert!(!ok && err.contains("token 1 was revoked on") && err.contains("nothing changed"), "{err}");
        let (ok, _, err) = sigap(&url, &["token", "revoke", "99"]);
        assert!(!ok && err.contains("no token with id 99"), "{err}");
        let (_, list, _) = sigap(&url, &["token", "list"]);
        assert!(list.lines().nth(1).unwrap().ends_with("revoked"), "{list}");
        let history = sigap::store::audit::history(&store, "api_token", "1").await.unwrap();
        assert_eq!(history.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(), ["issue", "revoke"]);
        assert!(history[1].actor.starts_with("cli:"));
        store.close().await;
    }
}

/// The stored hash of token 1, to show `list` never prints it.
async fn sqlx_hash(store: &Store) -> String {
    sigap::on_pool!(store, p => sqlx::query_scalar::<_, String>("SELECT token_hash FROM api_tokens WHERE id = 1").fetch_one(p).await).unwrap()
}

/// Reads the server's stderr on a thread, passing each line on.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let err = child.stderr.take().expect("stderr piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a stderr line containing `needle`; returns it. Panics with the log if the server exits first.
fn wait_for(rx: &mpsc::Receiver<String>, needle: &str, log: &mut Vec<String>) -> String {
    for line in rx.iter() {
        log.push(line.clone());
        if line.contains(needle) {
            return line;
        }
    }
    panic!("server ended before logging {needle:?}:\n{}", log.join("\n"))
}

#[tokio::test]
async fn serve_finishes_in_flight_requests_then_exits_0_on_sigterm_and_ctrl_c() {
    for (url, signal) in testing::both_urls().await.into_iter().zip(["-TERM", "-INT"]) {
        store_with_kelurahan(&url).await.close().await;
        let mut child = spawn_serve(&url);
        let rx = lines_of(&mut child);
        let mut log = Vec::new();
        let line = wait_for(&rx, "sigap listening on http://", &mut log);
        let addr = line.rsplit("http://").next().unwrap().trim().to_string();

        // A request whose body is only half sent when the signal arrives.
        let body = r#"{"points":[{"id":"monas","lon":106.8227,"lat":-6.1754}]}"#;
        let (head, tail) = body.split_at(20);
        let mut conn = TcpStream::connect(&addr).expect("connect");
        write!(conn, "POST /api/v1/locate HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}", body.len()).unwrap();
        conn.flush().unwrap();
        // A complete request first, on another connection: the server is serving.
        let mut probe = TcpStream::connect(&addr).expect("connect probe");
        write!(probe, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        probe.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

        let killed = Command::new("kill").args([signal, &child.id().to_string()]).status().expect("run kill");
        assert!(killed.success());
        wait_for(&rx, "shutting down: finishing in-flight requests", &mut log);

        // The half-sent request still gets its whole answer.
        conn.write_all(tail.as_bytes()).unwrap();
        let mut response = String::new();
        conn.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("31.71.01.1001"), "Monas is in Gambir: {response}");

        let status = child.wait().expect("wait for sigap");
        log.extend(rx.iter());
        assert!(status.success(), "{signal}: exit {status:?}\n{}", log.join("\n"));
        assert!(log.iter().any(|l| l.contains("sigap stopped")), "{}", log.join("\n"));
        // The store was closed cleanly: it opens again.
        Store::open(&url).await.expect("reopen after shutdown").close().await;
    }
}
