//! The routing engine: our own problem/solution types in, vrp-core and our own searches
//! underneath.
//!
//! Two search modes:
//! - [`SearchMode::Reproducible`] (plans): the same input and seed give the same routes. vrp-core
//!   alone is not repeatable (issue reinterpretcat/vrp#136: operator weights by measured run time,
//!   200 ms wall-clock quotas, `HashSet`s keyed by pointer), so it only builds the start solution
//!   on one fresh thread with a seeded generator and a generation budget; our own ejection pool
//!   ([`ejection`]) and SISR ([`sisr`]) then minimise routes and distance on this model, budgeted
//!   in work (stops looked at), not time. See [`reproducible`].
//! - [`SearchMode::Quality`] (Solomon benchmark): vrp-core's default dynamic heuristic on all
//!   cores under a time budget; best results, not repeatable.
//!
//! This module holds our types and the entry point; [`build`] turns them into vrp-core's model
//! and reads the answer back, [`reproducible`] is the repeatable search.

mod build;
mod ejection;
mod reproducible;
mod sisr;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use vrp_core::models::{Problem, Solution};
use vrp_core::rosomaxa::evolution::TelemetryMode;
use vrp_core::rosomaxa::prelude::{Environment, InfoLogger};
use vrp_core::rosomaxa::utils::ThreadPool;
use vrp_core::solver::{Solver, VrpConfigBuilder};

/// A vehicle routing problem over `n` indexed locations with a full matrix.
#[derive(Debug, Clone)]
pub struct RoutingProblem {
    pub n: usize,
    /// Row-major n×n metres (or Solomon units).
    pub distance: Vec<f64>,
    /// Row-major n×n seconds (or Solomon units).
    pub duration: Vec<f64>,
    pub vehicles: Vec<VehicleSpec>,
    pub jobs: Vec<JobSpec>,
    /// Jobs that must stay on a given vehicle, in this order (frozen routes).
    pub locks: Vec<LockSpec>,
}

#[derive(Debug, Clone)]
pub struct VehicleSpec {
    pub id: String,
    pub start: usize,
    pub end: usize,
    pub earliest: f64,
    pub latest: f64,
    pub capacity: u32,
}

#[derive(Debug, Clone)]
pub struct JobSpec {
    pub id: String,
    pub location: usize,
    pub demand: u32,
    pub service: f64,
    pub window: Option<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct LockSpec {
    pub vehicle: usize,
    pub jobs: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMode {
    Reproducible,
    Quality,
}

#[derive(Debug, Clone, Copy)]
pub struct SolveOptions {
    pub seed: u64,
    pub generations: usize,
    pub max_seconds: Option<f64>,
    pub mode: SearchMode,
}

/// Why the solver left a job out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unserved {
    Capacity,
    TimeWindow,
    Locked,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteSolution {
    pub vehicle: usize,
    /// Job indices in visiting order.
    pub jobs: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingSolution {
    /// Sorted by vehicle index.
    pub routes: Vec<RouteSolution>,
    /// Sorted by job index.
    pub unassigned: Vec<(usize, Unserved)>,
    /// The wall-clock cap (`max_seconds`) stopped the search before its work budget was spent:
    /// a reproducible result is then no longer guaranteed to repeat.
    pub time_capped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("routing problem is malformed: {0}")]
    Malformed(String),
    #[error("vrp-core failed: {0}")]
    Solver(String),
}

impl RoutingProblem {
    fn check(&self) -> Result<(), EngineError> {
        let bad = |m: String| Err(EngineError::Malformed(m));
        if self.distance.len() != self.n * self.n || self.duration.len() != self.n * self.n {
            return bad(format!("matrix size does not match {} locations", self.n));
        }
        if self.distance.iter().chain(&self.duration).any(|v| !v.is_finite() || *v < 0.0) {
            return bad("matrix holds a negative or non-finite value".into());
        }
        if self.vehicles.is_empty() {
            return bad("no vehicles".into());
        }
        for v in &self.vehicles {
            if v.start >= self.n || v.end >= self.n || v.capacity == 0 || v.latest.partial_cmp(&v.earliest) != Some(std::cmp::Ordering::Greater) {
                return bad(format!("vehicle {} is malformed", v.id));
            }
        }
        for j in &self.jobs {
            if j.location >= self.n || !j.service.is_finite() || j.service < 0.0 {
                return bad(format!("job {} is malformed", j.id));
            }
            if let Some((a, b)) = j.window {
                if !(a.is_finite() && b.is_finite() && b >= a) {
                    return bad(format!("job {} has a bad time window", j.id));
                }
            }
        }
        for l in &self.locks {
            if l.vehicle >= self.vehicles.len() || l.jobs.iter().any(|&j| j >= self.jobs.len()) {
                return bad("lock refers to an unknown vehicle or job".into());
            }
        }
        Ok(())
    }
}

/// Solves `problem`. Never panics: vrp-core panics are caught and returned as errors.
pub fn solve(problem: &RoutingProblem, options: &SolveOptions) -> Result<RoutingSolution, EngineError> {
    problem.check()?;
    if problem.jobs.is_empty() {
        return Ok(RoutingSolution { routes: vec![], unassigned: vec![], time_capped: false });
    }
    let run = || catch_unwind(AssertUnwindSafe(|| solve_inner(problem, options)));
    let outcome = match options.mode {
        // A fresh single-thread pool means a fresh worker thread: vrp-core's thread-local
        // generator restarts from the same state and parallel loops run in a fixed order.
        SearchMode::Reproducible => ThreadPool::new(1).execute(run),
        SearchMode::Quality => run(),
    };
    match outcome {
        Ok(result) => result,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            Err(EngineError::Solver(msg))
        }
    }
}

/// A portfolio of `runs` searches with seeds `seed`, `seed + 1`, … on as many threads, the best
/// kept: fewest unassigned jobs, then fewest routes, then shortest distance, ties to the lower
/// seed. Each run is reproducible, so the portfolio is too (same problem, seed and `runs` ⇒ same
/// routes); the time cap is reported when it stopped any run.
pub fn solve_portfolio(problem: &RoutingProblem, options: &SolveOptions, runs: usize) -> Result<RoutingSolution, EngineError> {
    let runs = runs.max(1);
    let results: Vec<Result<RoutingSolution, EngineError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..runs as u64)
            .map(|i| {
                let o = SolveOptions { seed: options.seed.wrapping_add(i), ..*options };
                scope.spawn(move || solve(problem, &o))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(EngineError::Solver("portfolio run panicked".into())))).collect()
    });
    let distance = |s: &RoutingSolution| -> f64 {
        s.routes
            .iter()
            .map(|r| {
                let locs: Vec<usize> = r.jobs.iter().map(|&j| problem.jobs[j].location).collect();
                let v = &problem.vehicles[r.vehicle];
                let mut at = v.start;
                let mut d = 0.0;
                for &l in locs.iter().chain(std::iter::once(&v.end)) {
                    d += problem.distance[at * problem.n + l];
                    at = l;
                }
                d
            })
            .sum()
    };
    let mut best: Option<RoutingSolution> = None;
    let mut capped = false;
    for r in results {
        let s = r?;
        capped |= s.time_capped;
        let better = match &best {
            None => true,
            Some(b) => (s.unassigned.len(), s.routes.len()).cmp(&(b.unassigned.len(), b.routes.len())).then(distance(&s).total_cmp(&distance(b))).is_lt(),
        };
        if better {
            best = Some(s);
        }
    }
    let mut best = best.ok_or_else(|| EngineError::Solver("empty portfolio".into()))?;
    best.time_capped = capped;
    Ok(best)
}

fn solver_err(e: impl std::fmt::Display) -> EngineError {
    EngineError::Solver(e.to_string())
}

fn solve_inner(p: &RoutingProblem, options: &SolveOptions) -> Result<RoutingSolution, EngineError> {
    let reproducible = options.mode == SearchMode::Reproducible;
    let logger: InfoLogger = Arc::new(|_: &str| {});
    let problems = build::problem(p, reproducible, &logger)?;
    if reproducible {
        reproducible::search(p, problems, options, logger)
    } else {
        build::read_solution(p, &quality_search(problems.distance, options, logger)?)
    }
}

/// vrp-core's default dynamic heuristic on all cores under a time budget (Solomon benchmark).
fn quality_search(problem: Arc<Problem>, options: &SolveOptions, logger: InfoLogger) -> Result<Solution, EngineError> {
    let secs = options.max_seconds.map(|s| s.ceil().max(1.0) as usize);
    let environment = Arc::new(Environment { logger, ..Environment::new_with_time_quota(secs) });
    let config = VrpConfigBuilder::new(problem.clone())
        .set_environment(environment)
        .set_telemetry_mode(TelemetryMode::None)
        .prebuild()
        .map_err(solver_err)?
        .with_max_generations(Some(options.generations))
        .with_max_time(secs)
        .build()
        .map_err(solver_err)?;
    Solver::new(problem, config).solve().map_err(solver_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Depot at 0 and jobs on a line; every vehicle carries 10.
    pub(crate) fn line_problem(jobs: usize, vehicles: usize) -> RoutingProblem {
        let n = jobs + 1;
        let pos: Vec<f64> = (0..n).map(|i| i as f64 * 1000.0).collect();
        let mut distance = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                distance[i * n + j] = (pos[i] - pos[j]).abs();
            }
        }
        let duration = distance.iter().map(|d| d / 5.0).collect();
        RoutingProblem {
            n,
            distance,
            duration,
            vehicles: (0..vehicles)
                .map(|i| VehicleSpec { id: format!("v{i}"), start: 0, end: 0, earliest: 0.0, latest: 36_000.0, capacity: 10 })
                .collect(),
            jobs: (1..n).map(|i| JobSpec { id: format!("j{i}"), location: i, demand: 4, service: 60.0, window: None }).collect(),
            locks: vec![],
        }
    }

    fn opts(seed: u64) -> SolveOptions {
        SolveOptions { seed, generations: 60, max_seconds: None, mode: SearchMode::Reproducible }
    }

    #[test]
    fn every_job_is_routed_once_within_capacity() {
        let p = line_problem(9, 5);
        let s = solve(&p, &opts(7)).unwrap();
        let mut seen: Vec<usize> = s.routes.iter().flat_map(|r| r.jobs.clone()).collect();
        seen.sort();
        assert_eq!(seen, (0..9).collect::<Vec<_>>());
        for r in &s.routes {
            assert!(r.jobs.iter().map(|&j| p.jobs[j].demand).sum::<u32>() <= 10);
        }
        assert!(s.unassigned.is_empty());
        assert_eq!(s.routes.len(), 5, "two jobs of 4 per truck of 10 needs 5 trucks");
    }

    #[test]
    fn too_little_fleet_leaves_jobs_unassigned_for_capacity() {
        let p = line_problem(6, 1);
        let s = solve(&p, &opts(1)).unwrap();
        assert_eq!(s.routes.len(), 1);
        assert_eq!(s.routes[0].jobs.len(), 2);
        assert_eq!(s.unassigned.len(), 4);
        assert!(s.unassigned.iter().all(|(_, r)| *r == Unserved::Capacity), "{:?}", s.unassigned);
    }

    #[test]
    fn impossible_window_is_reported_as_time_window() {
        let mut p = line_problem(2, 2);
        // Job 1 sits 2 km away (400 s) but its window closes at 100 s.
        p.jobs[1].window = Some((0.0, 100.0));
        let s = solve(&p, &opts(1)).unwrap();
        assert_eq!(s.unassigned, vec![(1, Unserved::TimeWindow)]);
    }

    #[test]
    fn locked_jobs_stay_on_their_vehicle() {
        let mut p = line_problem(4, 3);
        p.locks = vec![LockSpec { vehicle: 2, jobs: vec![0, 3] }];
        let s = solve(&p, &opts(3)).unwrap();
        let r = s.routes.iter().find(|r| r.vehicle == 2).expect("vehicle 2 used");
        assert!(r.jobs.contains(&0) && r.jobs.contains(&3), "{:?}", s.routes);
    }

    /// Scattered jobs with windows and more demand than the fleet carries, so that the search
    /// meets ties, unassigned jobs and route removals.
    fn scattered_problem(seed: u64) -> RoutingProblem {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = 41;
        let pts: Vec<(f64, f64)> =
            (0..n).map(|i| if i == 0 { (0.0, 0.0) } else { (rng.gen_range(-5000.0..5000.0), rng.gen_range(-5000.0..5000.0)) }).collect();
        let mut distance = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                distance[i * n + j] = ((pts[i].0 - pts[j].0).powi(2) + (pts[i].1 - pts[j].1).powi(2)).sqrt();
            }
        }
        let duration = distance.iter().map(|d| d / 5.0).collect();
        let jobs = (1..n)
            .map(|i| {
                let start = rng.gen_range(0.0..6000.0);
                JobSpec {
                    id: format!("j{i}"),
                    location: i,
                    demand: rng.gen_range(1..6),
                    service: 300.0,
                    window: (i % 3 == 0).then_some((start, start + 3600.0)),
                }
            })
            .collect();
        RoutingProblem {
            n,
            distance,
            duration,
            vehicles: (0..5)
                .map(|i| VehicleSpec { id: format!("v{i}"), start: 0, end: 0, earliest: 0.0, latest: 14_400.0, capacity: 15 })
                .collect(),
            jobs,
            locks: vec![],
        }
    }

    #[test]
    fn same_seed_same_routes() {
        let p = scattered_problem(5);
        let o = SolveOptions { seed: 42, generations: 150, max_seconds: None, mode: SearchMode::Reproducible };
        let a = solve(&p, &o).unwrap();
        assert!(!a.unassigned.is_empty(), "the case should overload the fleet");
        for _ in 0..3 {
            assert_eq!(solve(&p, &o).unwrap(), a);
        }
    }

    #[test]
    fn the_time_cap_is_reported_only_when_it_stops_the_search() {
        let p = scattered_problem(3);
        let uncapped = solve(&p, &SolveOptions { seed: 1, generations: 30, max_seconds: None, mode: SearchMode::Reproducible }).unwrap();
        assert!(!uncapped.time_capped);
        // A cap far beyond the work budget does not bite: same routes as without it.
        let generous = solve(&p, &SolveOptions { seed: 1, generations: 30, max_seconds: Some(86_400.0), mode: SearchMode::Reproducible }).unwrap();
        assert_eq!(generous, uncapped);
        // A cap that has passed before the first generation stops the search and says so.
        let cut = solve(&p, &SolveOptions { seed: 1, generations: 100_000, max_seconds: Some(1e-9), mode: SearchMode::Reproducible }).unwrap();
        assert!(cut.time_capped);
    }

    #[test]
    fn a_portfolio_repeats_and_is_no_worse_than_its_first_seed() {
        let p = scattered_problem(7);
        let o = SolveOptions { seed: 11, generations: 60, max_seconds: None, mode: SearchMode::Reproducible };
        let a = solve_portfolio(&p, &o, 2).unwrap();
        assert_eq!(solve_portfolio(&p, &o, 2).unwrap(), a);
        let single = solve(&p, &o).unwrap();
        assert!((a.unassigned.len(), a.routes.len()) <= (single.unassigned.len(), single.routes.len()), "{a:?} vs {single:?}");
        // One run is the plain search; a malformed problem is an error from the portfolio too.
        assert_eq!(solve_portfolio(&p, &o, 1).unwrap(), single);
        let mut bad = p.clone();
        bad.distance.pop();
        assert!(matches!(solve_portfolio(&bad, &o, 2), Err(EngineError::Malformed(_))));
    }

    #[test]
    fn malformed_problem_is_an_error_not_a_panic() {
        let mut p = line_problem(2, 1);
        p.distance.pop();
        assert!(matches!(solve(&p, &opts(1)), Err(EngineError::Malformed(_))));
        let mut p = line_problem(2, 1);
        p.vehicles[0].capacity = 0;
        assert!(matches!(solve(&p, &opts(1)), Err(EngineError::Malformed(_))));
    }
}

