//! Solomon VRPTW benchmark: solves the six instances in `vrp-sample` at a fixed budget and
//! prints vehicles, distance and the gap to the best known solutions (vehicles first, then
//! Euclidean unrounded distance), with the independent checker's verdict.
//!
//! `cargo bench --bench solomon`; environment: SOLOMON_DIR (instances + bks.csv),
//! SOLOMON_SECONDS (quality mode: the time budget per instance, default 10), SOLOMON_GENERATIONS
//! (reproducible mode: the work budget, default 2000), SOLOMON_CAP (reproducible mode: the
//! wall-clock safety cap, default 6 × SOLOMON_SECONDS, so that a loaded machine finishes the
//! same generations instead of returning a different plan; a run it stops is marked in the
//! table), SOLOMON_MODES (`quality,reproducible`).
// Benchmarks print their results.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use sigap::planner::engine::SearchMode;
use sigap::planner::solomon::{run_all, sample_dir, table, BenchBudget};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let Some(dir) = sample_dir() else {
        eprintln!("no Solomon instances found: set SOLOMON_DIR to a folder with bks.csv and the .txt files");
        std::process::exit(2);
    };
    let seconds: f64 = env_or("SOLOMON_SECONDS", 10.0);
    let generations: usize = env_or("SOLOMON_GENERATIONS", 2000);
    let cap: f64 = env_or("SOLOMON_CAP", 6.0 * seconds);
    let modes: String = env_or("SOLOMON_MODES", "quality,reproducible".to_string());
    for mode in modes.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let (search, gens, label) = match mode {
            "quality" => (SearchMode::Quality, None, format!("vrp-core default heuristic, all cores, {seconds} s per instance")),
            "reproducible" => (
                SearchMode::Reproducible,
                Some(generations),
                format!("planner's reproducible mode, 1 thread, {generations} generations (safety cap {cap} s)"),
            ),
            other => {
                eprintln!("unknown mode {other} (quality or reproducible)");
                std::process::exit(2);
            }
        };
        println!("\n## Solomon VRPTW: {label}\n");
        let budget = BenchBudget { seconds: if gens.is_some() { cap } else { seconds }, generations: gens, mode: search, seed: 1, runs: 1 };
        let rows = run_all(&dir, budget, |r| {
            eprintln!("{}: {} vehicles, {:.2} ({:.1} s)", r.instance, r.vehicles, r.distance, r.seconds)
        });
        match rows {
            Ok(rows) => print!("{}", table(&rows)),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
}
