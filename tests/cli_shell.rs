//! What a new user meets first, through the real binary: `sigap init` in an empty directory, the
//! README's `sigap locate 106.8272 -6.1754` (a negative latitude is a number, not a flag), plain
//! log lines when stderr is not a terminal, the GeoPackage as GDAL sees it (the map layers and the
//! documented attribute tables, no warnings, no internal tables), and help text on every serve
//! setting. GeoPackage only: these are about the file and the shell, not about store behaviour.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir(name: &str) -> PathBuf {
    let base = std::env::var("SIGAP_TEST_TMP").map(PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let dir = base.join(format!("{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs sigap in `dir` (as a user would: relative `var/sigap.gpkg`), stdout and stderr piped.
fn sigap(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigap"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("SIGAP_DATA", root().join("data"))
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run sigap")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Layer names as `ogrinfo FILE` lists them (`1: kota (Multi Polygon)`).
fn layers(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(n, _)| n.trim().parse::<u32>().is_ok())
        .map(|(_, rest)| rest.split(" (").next().unwrap_or(rest).trim().to_string())
        .collect()
}

#[test]
fn init_locate_and_the_geopackage_as_gdal_sees_it() {
    let dir = tmp_dir("sigap_cli_shell");
    let init = sigap(&dir, &[], &["init"]);
    assert!(init.status.success(), "init failed: {}", text(&init.stderr));
    assert!(text(&init.stdout).contains("store ready"), "{}", text(&init.stdout));
    // A token row, so the test shows a stored (hashed) secret does not surface as a layer.
    let token = sigap(&dir, &[], &["token", "create", "--role", "admin"]);
    assert!(token.status.success(), "{}", text(&token.stderr));

    // The README's own example, latitude negative, with logs at debug to have plenty of them.
    let out = sigap(&dir, &[("RUST_LOG", "debug")], &["locate", "106.8272", "-6.1754"]);
    assert!(out.status.success(), "locate failed: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("locate prints JSON");
    assert_eq!(v["kelurahan"]["nama"], "Gambir", "{v}");
    assert_eq!(v["method"], "inside");
    let log = text(&out.stderr);
    assert!(!log.trim().is_empty(), "RUST_LOG=debug wrote no log lines");
    assert!(!log.contains('\u{1b}'), "ANSI escapes in a log that is not a terminal: {log:?}");
    // Flags still work beside a negative number, in either place.
    let flagged = sigap(&dir, &[], &["locate", "--database-url", "var/sigap.gpkg", "106.8272", "-6.1754"]);
    assert!(flagged.status.success(), "{}", text(&flagged.stderr));

    let gpkg = dir.join("var/sigap.gpkg");
    let info = Command::new("ogrinfo").arg("-ro").arg(&gpkg).output().expect("run ogrinfo (gdal-bin)");
    let (stdout, stderr) = (text(&info.stdout), text(&info.stderr));
    assert!(info.status.success(), "ogrinfo failed: {stderr}");
    assert!(!stderr.contains("Warning") && !stderr.contains("not supported"), "GDAL warns on open: {stderr}");
    assert_eq!(
        layers(&stdout),
        ["kota", "kecamatan", "kelurahan", "rw", "bansos_target", "complaint_units"],
        "the map layers and the documented attribute tables only:\n{stdout}"
    );
    // Reading an attribute table is clean too.
    let table = Command::new("ogrinfo").arg("-ro").arg("-so").arg(&gpkg).arg("bansos_target").output().expect("run ogrinfo");
    assert!(table.status.success() && !text(&table.stderr).contains("Warning"), "{}", text(&table.stderr));
    let count: u64 = text(&table.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: ").and_then(|n| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no feature count: {}", text(&table.stdout)));
    assert!(count > 2_000, "one target per demo RW, got {count}");
}

#[test]
fn swapped_or_missing_coordinates_are_errors_not_flags() {
    let dir = tmp_dir("sigap_cli_locate_args");
    let out = sigap(&dir, &[], &["locate", "106.8272"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("<LAT>"), "clap names the missing latitude: {}", text(&out.stderr));
    let help = text(&sigap(&dir, &[], &["locate", "--help"]).stdout);
    assert!(help.contains("Longitude") && help.contains("Latitude"), "{help}");
}

#[test]
fn every_serve_setting_has_help_text() {
    let out = sigap(&std::env::temp_dir(), &[], &["serve", "--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    // Long help puts each option on its own line and its text on the next, indented further.
    let lines: Vec<&str> = help.lines().collect();
    let mut bare = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if t.starts_with("--") || (t.starts_with('-') && t.chars().nth(2) == Some(',')) {
            let indent = l.len() - t.len();
            let next = lines.get(i + 1).copied().unwrap_or("");
            let described = next.len() - next.trim_start().len() > indent && !next.trim().is_empty();
            if !described {
                bare.push(t.to_string());
            }
        }
    }
    assert!(bare.is_empty(), "options without help text: {bare:?}\n{help}");
    assert!(help.contains("--bind <BIND>") && help.contains("8081"), "{help}");
    assert!(help.contains("SIGAP_BASEMAP") && help.contains("raster") && help.contains("{z}/{x}/{y}.png"), "{help}");
}
