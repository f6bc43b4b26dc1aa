//! `sigap plan` end to end: files in, plan.json / plan.csv / routes.geojson out, a summary in
//! Indonesian numbers; a bad file or flag is an error naming the problem.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sigap(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sigap"))
        .arg("--database-url")
        .arg(dir.join("cli.gpkg"))
        .args(args)
        .output()
        .expect("run sigap");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn plan_from_csv_files_writes_three_formats() {
    let dir = std::env::temp_dir().join(format!("sigap_plan_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stops = dir.join("stops.csv");
    std::fs::write(
        &stops,
        "id,name,lon,lat,packages,window_start,window_end,kelurahan,kecamatan\n\
         31.71.01.1001.001,RW 001,106.8227,-6.1754,1200,,,Gambir,Gambir\n\
         31.71.01.1002.001,RW 001,106.8130,-6.1690,300,09:00,12:00,Cideng,Gambir\n\
         31.74.01.1001.001,RW 001,106.8540,-6.2260,450,,,Tebet Barat,Tebet\n\
         luar,Bogor,106.7990,-6.5950,10,,,,\n",
    )
    .unwrap();
    let out = dir.join("out");
    let depots = root().join("data/demo/depots.csv");
    let slots = dir.join("slots.csv");
    std::fs::write(&slots, "kecamatan,window_start,window_end\n31.74.01,13:00,15:00\n").unwrap();
    let (ok, stdout, stderr) = sigap(
        &dir,
        &["plan", "--depots", depots.to_str().unwrap(), "--stops", stops.to_str().unwrap(), "--days", "2", "--generations", "30",
          "--slots", slots.to_str().unwrap(), "--out", out.to_str().unwrap()],
    );
    assert!(ok, "{stderr}");
    assert!(stderr.contains("1 titik RW mendapat jadwal kecamatan"), "{stderr}");
    assert!(stdout.contains("Paket: 1.960 diminta, 1.950 terjadwal, 10 tidak terjadwal"), "{stdout}");
    assert!(stdout.contains("tidak terjadwal (outside_area): 1 titik, 10 paket"), "{stdout}");
    let plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["splits"][0]["stop"], "31.71.01.1001.001");
    let csv = std::fs::read_to_string(out.join("plan.csv")).unwrap();
    // 1,200 packages in trucks of 500 = 3 deliveries, plus the two other RW.
    assert_eq!(csv.lines().count(), 1 + 3 + 2, "{csv}");
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let windowed: Vec<&str> = csv.lines().find(|l| l.contains("31.71.01.1002.001")).unwrap().split(',').collect();
    let start = windowed[col("start")];
    assert!(("09:00".."12:01").contains(&start), "{windowed:?}");
    assert!(windowed[col("arrival")] <= start && start < windowed[col("departure")], "{windowed:?}");
    let tebet: Vec<&str> = csv.lines().find(|l| l.contains("31.74.01.1001.001")).unwrap().split(',').collect();
    assert!(("13:00".."15:01").contains(&tebet[col("start")]), "{tebet:?}");
    let geo: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("routes.geojson")).unwrap()).unwrap();
    assert_eq!(geo["type"], "FeatureCollection");

    // Re-plan after deliveries: Tebet is served, 500 of Gambir's 1,200 arrived; day 1 is on the road.
    let delivered = dir.join("delivered.csv");
    std::fs::write(&delivered, "stop,packages\n31.71.01.1001.001,500\n31.74.01.1001.001,450\n").unwrap();
    let out2 = dir.join("out2");
    let previous = out.join("plan.json");
    let (ok, stdout, stderr) = sigap(
        &dir,
        &["plan", "--depots", depots.to_str().unwrap(), "--stops", stops.to_str().unwrap(), "--days", "2", "--generations", "30",
          "--delivered", delivered.to_str().unwrap(), "--previous", previous.to_str().unwrap(), "--freeze-day", "1", "--out", out2.to_str().unwrap()],
    );
    assert!(ok, "{stderr}");
    assert!(stderr.contains("Rencana ulang: 1 titik sudah terlayani, 1 sebagian"), "{stderr}");
    assert!(stdout.contains("Paket: 1.010 diminta"), "{stdout}");
    let again: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out2.join("plan.json")).unwrap()).unwrap();
    let day1 = again["days"][0]["routes"].as_array().unwrap();
    assert!(day1.iter().any(|r| r["frozen"] == true), "{day1:?}");
    assert!(!std::fs::read_to_string(out2.join("plan.csv")).unwrap().contains("31.74.01.1001.001"));
    let (ok, _, stderr) = sigap(&dir, &["plan", "--depots", depots.to_str().unwrap(), "--stops", stops.to_str().unwrap(), "--days", "1", "--freeze-day", "1"]);
    assert!(!ok && stderr.contains("--previous"), "{stderr}");

    let (ok, _, stderr) = sigap(&dir, &["plan", "--depots", depots.to_str().unwrap(), "--stops", stops.to_str().unwrap(), "--days", "0"]);
    assert!(!ok);
    assert!(stderr.contains("at least 1 working day"), "{stderr}");
    std::fs::write(&stops, "id,lon,lat,packages\nA,106.82,-6.18,banyak\n").unwrap();
    let (ok, _, stderr) = sigap(&dir, &["plan", "--depots", depots.to_str().unwrap(), "--stops", stops.to_str().unwrap(), "--days", "1"]);
    assert!(!ok);
    assert!(stderr.contains("stops.csv") && stderr.contains("line 2"), "{stderr}");
    // An unknown column is refused, naming it: a misspelt optional column would otherwise be
    // dropped and its default planned without a word.
    std::fs::write(&stops, "id,lon,lat,packages,window_strat\nA,106.82,-6.18,10,09:00\n").unwrap();
    let (ok, _, stderr) = sigap(&dir, &["plan", "--depots", depots.to_str().unwrap(), "--stops", stops.to_str().unwrap(), "--days", "1"]);
    assert!(!ok);
    assert!(stderr.contains("stops.csv") && stderr.contains("unknown field `window_strat`"), "{stderr}");
    // A control character in free text is refused, naming the field.
    std::fs::write(&stops, "id,name,lon,lat,packages\nA,RW\u{1b}[31m,106.82,-6.18,10\n").unwrap();
    let (ok, _, stderr) = sigap(&dir, &["plan", "--depots", depots.to_str().unwrap(), "--stops", stops.to_str().unwrap(), "--days", "1"]);
    assert!(!ok);
    assert!(stderr.contains("stops[0].name") && stderr.contains("control character"), "{stderr}");
    let (ok, _, stderr) = sigap(&dir, &["plan", "--depots", depots.to_str().unwrap(), "--days", "1"]);
    assert!(!ok);
    assert!(stderr.contains("--stops") || stderr.contains("--from-atlas"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plan_on_the_shipped_roads_with_reloads_and_a_cached_table() {
    let dir = std::env::temp_dir().join(format!("sigap_plan_roads_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stops = dir.join("stops.csv");
    std::fs::write(
        &stops,
        "id,lon,lat,packages\n\
         gambir,106.8166,-6.1766,400\n\
         menteng,106.8330,-6.1960,450\n\
         senen,106.8450,-6.1770,300\n\
         tebet,106.8540,-6.2260,480\n\
         untung-jawa,106.7066,-5.9760,100\n",
    )
    .unwrap();
    let depots = root().join("data/demo/depots.csv");
    let roads = root().join("data/roads/jakarta_roads.geojson");
    let cache = dir.join("cache");
    let run = |out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let mut args = vec!["plan", "--depots", depots.to_str().unwrap(), "--stops", stops.to_str().unwrap(), "--days", "1", "--generations", "20",
            "--roads", roads.to_str().unwrap(), "--roads-cache", cache.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (ok, stdout, stderr) = sigap(&dir, &args);
        (ok, stdout, stderr, out)
    };
    let (ok, stdout, stderr, out) = run("a", &["--max-trips", "2", "--reload-min", "30"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("jaringan jalan") && stderr.contains("dihitung"), "{stderr}");
    assert!(stdout.contains("rit:"), "{stdout}");
    let plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap()).unwrap();
    assert!(plan["meta"]["travel"].as_str().unwrap().starts_with("roads"), "{}", plan["meta"]["travel"]);
    assert_eq!(plan["unassigned"][0]["stop"], "untung-jawa");
    assert_eq!(plan["unassigned"][0]["reason"], "unreachable");
    let routes: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("routes.geojson")).unwrap()).unwrap();
    let first = &routes["features"][0];
    assert_eq!(first["properties"]["follows_roads"], true);
    assert!(first["geometry"]["coordinates"].as_array().unwrap().len() > 10);
    // The same points again: the table comes from the cache and the plan is the same.
    let (ok, _, stderr, out2) = run("b", &["--max-trips", "2", "--reload-min", "30"]);
    assert!(ok && stderr.contains("dari cache"), "{stderr}");
    assert_eq!(std::fs::read_to_string(out.join("plan.json")).unwrap(), std::fs::read_to_string(out2.join("plan.json")).unwrap());

    // Bad input: a reload longer than the shift, a road file without roads.
    let (ok, _, stderr, _) = run("c", &["--max-trips", "3", "--reload-min", "700"]);
    assert!(!ok && stderr.contains("settings.reload.reload_min"), "{stderr}");
    let empty = dir.join("empty.geojson");
    std::fs::write(&empty, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"TYPE":"footway"},"geometry":{"type":"LineString","coordinates":[[106.8,-6.2],[106.81,-6.2]]}}]}"#).unwrap();
    let (ok, _, stderr) = sigap(&dir, &["plan", "--depots", depots.to_str().unwrap(), "--stops", stops.to_str().unwrap(), "--days", "1", "--roads", empty.to_str().unwrap()]);
    assert!(!ok && stderr.contains("no usable roads"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `sigap solomon`: solves an instance, checks it with the independent checker, writes the
/// routes, and checks a routes file by hand; bad instance files, routes and flags are errors
/// naming what is wrong. Needs no store.
#[test]
fn solomon_solves_checks_writes_and_rereads_routes() {
    let dir = std::env::temp_dir().join(format!("sigap_solomon_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c101 = root().join("data/testdata/vrp-sample/C101.txt");
    let c101 = c101.to_str().unwrap();
    let out = dir.join("routes");
    let (ok, stdout, stderr) = sigap(&dir, &["solomon", c101, "--generations", "40", "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("C101:") && stderr.contains("(BKS 10)") && stderr.contains("feasible"), "{stderr}");
    assert!(stdout.contains("| C101 |") && stdout.contains("| C1 | 1 |") && stdout.contains("| all | 1 |"), "{stdout}");
    assert!(!dir.join("cli.gpkg").exists(), "no store is created");
    let routes = out.join("C101.routes");
    let text = std::fs::read_to_string(&routes).unwrap();
    assert!(text.starts_with("# C101:") && text.contains("checker: feasible") && text.contains("\nRoute 1: "), "{text}");

    let (ok, stdout, stderr) = sigap(&dir, &["solomon", c101, "--check", routes.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("checker: feasible"), "{stdout}");

    // Routes missing a customer fail the check and say which.
    let short = dir.join("short.routes");
    let mut lines: Vec<&str> = text.lines().filter(|l| l.starts_with("Route")).collect();
    let last = lines.pop().unwrap();
    let kept: Vec<&str> = last.split_whitespace().collect();
    let dropped = kept.last().unwrap().to_string();
    let mut body = lines.join("\n");
    body.push('\n');
    body.push_str(&kept[..kept.len() - 1].join(" "));
    std::fs::write(&short, body).unwrap();
    let (ok, stdout, _) = sigap(&dir, &["solomon", c101, "--check", short.to_str().unwrap()]);
    assert!(!ok);
    assert!(stdout.contains(&format!("customer {dropped} not served")), "{stdout}");

    // A malformed instance names its line; a bad routes file names its line; a bad mode names the flag.
    let bad = dir.join("BAD.txt");
    std::fs::write(&bad, std::fs::read_to_string(c101).unwrap().replacen("    1      45         68", "    1      45         xx", 1)).unwrap();
    let (ok, _, stderr) = sigap(&dir, &["solomon", bad.to_str().unwrap(), "--generations", "5"]);
    assert!(!ok);
    assert!(stderr.contains("BAD.txt: line 11: 'xx' is not a number"), "{stderr}");
    let garbled = dir.join("garbled.routes");
    std::fs::write(&garbled, "Route 1: 5 3\nRoute 2: 7 seven\n").unwrap();
    let (ok, _, stderr) = sigap(&dir, &["solomon", c101, "--check", garbled.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("line 2: 'seven' is not a customer id"), "{stderr}");
    let (ok, _, stderr) = sigap(&dir, &["solomon", c101, "--mode", "fast"]);
    assert!(!ok);
    assert!(stderr.contains("--mode: 'fast'"), "{stderr}");
}
