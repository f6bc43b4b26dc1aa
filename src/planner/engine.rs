//! Thin wrapper around vrp-core: our own problem/solution types in, vrp-core's evolutionary
//! ruin-and-recreate search underneath.
//!
//! Two search modes:
//! - [`SearchMode::Reproducible`] (plans): the same input and seed give the same routes. vrp-core
//!   alone is not repeatable (issue reinterpretcat/vrp#136): its default hyper-heuristic weighs
//!   operators by their measured run time, several operators stop on 200 ms wall-clock quotas,
//!   and tabu lists and registries iterate `HashSet`s keyed by pointer. This mode therefore runs
//!   on one fresh thread with a seeded generator, a generation budget, vrp-core's insertion
//!   (recreate) operators and our own ruin operators that walk tours in order, and it sorts the
//!   list of jobs waiting for insertion before every recreate.
//! - [`SearchMode::Quality`] (Solomon benchmark): vrp-core's default dynamic heuristic on all
//!   cores under a time budget; best results, not repeatable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vrp_core::construction::features::{
    create_locked_jobs_feature, create_minimize_tours_feature, CapacityFeatureBuilder, JobDemandDimension,
    MinimizeUnassignedBuilder, TransportFeatureBuilder,
};
use vrp_core::construction::heuristics::{
    InsertionContext, MoveContext, RouteContext, SolutionContext, UnassignmentInfo,
};
use vrp_core::models::common::{Demand, Dimensions, SingleDimLoad, TimeSpan, TimeWindow};
use vrp_core::models::problem::{
    Costs, Driver, Fleet, Job, JobIdDimension, Jobs, Place, SimpleActivityCost, SimpleTransportCost, Single,
    TransportCost, VehicleBuilder, VehicleDetailBuilder,
};
use vrp_core::models::{
    ConstraintViolation, FeatureBuilder, FeatureConstraint, FeatureState, Goal, GoalContextBuilder, Lock, LockDetail, LockOrder, LockPosition, Problem,
    ViolationCode,
};
use vrp_core::rosomaxa::evolution::TelemetryMode;
use vrp_core::rosomaxa::hyper::StaticSelective;
use vrp_core::rosomaxa::population::Elitism;
use vrp_core::rosomaxa::prelude::{Environment, Float, Random, RandomGen};
use vrp_core::rosomaxa::utils::{Parallelism, ThreadPool, TimeQuota};
use vrp_core::solver::search::{
    Recreate, RecreateWithBlinks, RecreateWithCheapest, RecreateWithFarthest, RecreateWithGaps,
    RecreateWithNearestNeighbor, RecreateWithPerturbation, RecreateWithSkipBest, RecreateWithSlice, Ruin,
    RuinAndRecreate, WeightedHeuristicOperator, WeightedRecreate, WeightedRuin,
};
use vrp_core::solver::{
    create_default_processing, create_scalar_operator_probability, RecreateInitialOperator, RefinementContext,
    Solver, TargetHeuristic, VrpConfigBuilder,
};

/// Keys of our own dimensions: the index of a job or vehicle in [`RoutingProblem`].
struct JobIndexKey;
struct VehicleIndexKey;

fn job_index(dimens: &Dimensions) -> Option<usize> {
    dimens.get_value::<JobIndexKey, usize>().copied()
}

fn vehicle_index(dimens: &Dimensions) -> Option<usize> {
    dimens.get_value::<VehicleIndexKey, usize>().copied()
}

/// Distances stand in for "no road" so the time constraint rejects such legs.
const UNREACHABLE: f64 = 1.0e9;

const CODE_CAPACITY: ViolationCode = ViolationCode(1);
const CODE_TIME: ViolationCode = ViolationCode(2);
const CODE_LOCK: ViolationCode = ViolationCode(3);

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
        return Ok(RoutingSolution { routes: vec![], unassigned: vec![] });
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

fn solver_err(e: impl std::fmt::Display) -> EngineError {
    EngineError::Solver(e.to_string())
}

fn solve_inner(p: &RoutingProblem, options: &SolveOptions) -> Result<RoutingSolution, EngineError> {
    let reproducible = options.mode == SearchMode::Reproducible;
    let distance: Vec<f64> = p.distance.iter().map(|v| v.min(UNREACHABLE)).collect();
    let duration: Vec<f64> = p.duration.iter().map(|v| v.min(UNREACHABLE)).collect();
    let transport: Arc<dyn TransportCost> =
        Arc::new(SimpleTransportCost::new(duration, distance).map_err(solver_err)?);
    let activity = Arc::new(SimpleActivityCost::default());

    let vehicles = p
        .vehicles
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let detail = VehicleDetailBuilder::default()
                .set_start_location(v.start)
                .set_start_time(v.earliest)
                .set_end_location(v.end)
                .set_end_time(v.latest)
                .build()?;
            VehicleBuilder::default()
                .id(&v.id)
                .add_detail(detail)
                .capacity(SingleDimLoad::new(v.capacity as i32))
                .set_distance_cost(1.0)
                .dimension(|d| {
                    d.set_value::<VehicleIndexKey, usize>(i);
                })
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(solver_err)?;
    let driver = Driver {
        costs: Costs { fixed: 0.0, per_distance: 0.0, per_driving_time: 0.0, per_waiting_time: 0.0, per_service_time: 0.0 },
        dimens: Dimensions::default(),
        details: vec![],
    };
    let fleet = Fleet::new(vec![Arc::new(driver)], vehicles.into_iter().map(Arc::new).collect(), |_| |_| 0);

    let jobs: Vec<Job> = p
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let mut dimens = Dimensions::default();
            dimens.set_value::<JobIndexKey, usize>(i);
            dimens.set_job_id(j.id.clone()).set_job_demand(Demand::<SingleDimLoad> {
                pickup: (SingleDimLoad::default(), SingleDimLoad::default()),
                delivery: (SingleDimLoad::new(j.demand as i32), SingleDimLoad::default()),
            });
            let window = match j.window {
                Some((a, b)) => TimeWindow::new(a, b),
                None => TimeWindow::max(),
            };
            Job::Single(Arc::new(Single {
                places: vec![Place { location: Some(j.location), duration: j.service, times: vec![TimeSpan::Window(window)] }],
                dimens,
            }))
        })
        .collect();
    let logger: vrp_core::prelude::InfoLogger = Arc::new(|_: &str| {});
    let jobs = Jobs::new(&fleet, jobs.clone(), transport.as_ref(), &logger).map_err(solver_err)?;

    let locks: Vec<Arc<Lock>> = p
        .locks
        .iter()
        .filter(|l| !l.jobs.is_empty())
        .map(|l| {
            let vehicle = l.vehicle;
            let locked: Vec<Job> = l.jobs.iter().map(|&j| jobs.all()[j].clone()).collect();
            Arc::new(Lock::new(
                Arc::new(move |actor: &vrp_core::models::problem::Actor| {
                    vehicle_index(&actor.vehicle.dimens) == Some(vehicle)
                }),
                vec![LockDetail::new(LockOrder::Sequence, LockPosition::Any, locked)],
                false,
            ))
        })
        .collect();

    let mut features = vec![
        MinimizeUnassignedBuilder::new("min_unassigned").build().map_err(solver_err)?,
        create_minimize_tours_feature("min_tours").map_err(solver_err)?,
        TransportFeatureBuilder::new("min_distance")
            .set_violation_code(CODE_TIME)
            .set_time_constrained(true)
            .set_transport_cost(transport.clone())
            .set_activity_cost(activity.clone())
            .build_minimize_distance()
            .map_err(solver_err)?,
        CapacityFeatureBuilder::<SingleDimLoad>::new("capacity")
            .set_violation_code(CODE_CAPACITY)
            .build()
            .map_err(solver_err)?,
    ];
    if !locks.is_empty() {
        features.push(create_locked_jobs_feature("locked_jobs", &fleet, &locks, CODE_LOCK).map_err(solver_err)?);
    }
    if reproducible {
        features.push(
            FeatureBuilder::default()
                .with_name("canonical_order")
                .with_constraint(CanonicalOrder)
                .with_state(CanonicalOrder)
                .build().map_err(solver_err)?,
        );
    }
    let goal = GoalContextBuilder::with_features(&features)
        .and_then(|b| {
            Ok(b.set_main_goal(Goal::subset_of(&features, &["min_unassigned", "min_tours", "min_distance"])?)
                .add_alternative_goal(Goal::subset_of(&features, &["min_unassigned", "min_distance"])?, 0.1))
        })
        .and_then(|b| b.build())
        .map_err(solver_err)?;

    let problem = Arc::new(Problem {
        fleet: Arc::new(fleet),
        jobs: Arc::new(jobs),
        locks,
        goal: Arc::new(goal),
        activity,
        transport,
        extras: Arc::new(Default::default()),
    });

    let solution = if reproducible {
        let random: Arc<dyn Random> = Arc::new(SeededRandom::new(options.seed));
        let quota = options.max_seconds.map(|s| Arc::new(TimeQuota::new(s)) as Arc<_>);
        let environment = Arc::new(Environment::new(random.clone(), quota, Parallelism::new_with_cpus(2), logger, false));
        let neighbours = Arc::new(job_neighbours(p));
        let heuristic = reproducible_heuristic(problem.clone(), environment.clone(), neighbours);
        let population = Box::new(Elitism::new(problem.goal.clone(), random.clone(), 4, 2));
        let context = RefinementContext::new(problem.clone(), population, TelemetryMode::None, environment.clone());
        let config = VrpConfigBuilder::new(problem.clone())
            .set_environment(environment.clone())
            .set_telemetry_mode(TelemetryMode::None)
            .set_heuristic(heuristic)
            .prebuild()
            .map_err(solver_err)?
            .with_context(context)
            .with_processing(create_default_processing())
            .with_initial(4, 0.05, reproducible_initial(random.clone()))
            .with_max_generations(Some(options.generations))
            .with_max_time(options.max_seconds.map(|s| s.ceil().max(1.0) as usize))
            .build()
            .map_err(solver_err)?;
        Solver::new(problem.clone(), config).solve().map_err(solver_err)?
    } else {
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
        Solver::new(problem.clone(), config).solve().map_err(solver_err)?
    };

    let mut routes: Vec<RouteSolution> = solution
        .routes
        .iter()
        .filter_map(|route| {
            let vehicle = vehicle_index(&route.actor.vehicle.dimens)?;
            let jobs: Vec<usize> = route
                .tour
                .all_activities()
                .filter_map(|a| a.job.as_ref().and_then(|s| job_index(&s.dimens)))
                .collect();
            (!jobs.is_empty()).then_some(RouteSolution { vehicle, jobs })
        })
        .collect();
    canonical_vehicles(p, &mut routes);
    let mut unassigned: Vec<(usize, Unserved)> = solution
        .unassigned
        .iter()
        .filter_map(|(job, info)| Some((job_index(job.dimens())?, unserved_reason(info))))
        .collect();
    unassigned.sort_by_key(|u| u.0);
    let assigned: usize = routes.iter().map(|r| r.jobs.len()).sum();
    if assigned + unassigned.len() != p.jobs.len() {
        return Err(EngineError::Solver(format!(
            "solution lost jobs: {} assigned + {} unassigned != {}",
            assigned,
            unassigned.len(),
            p.jobs.len()
        )));
    }
    Ok(RoutingSolution { routes, unassigned })
}

/// vrp-core picks among identical vehicles through a hash set, so which of two equal trucks
/// gets a route changes from run to run. Relabel: within each group of interchangeable vehicles
/// (same start, end, shift and capacity, not locked), routes ordered by their first job take the
/// group's vehicles in index order.
/// Start, end, shift (as bits) and capacity: vehicles with equal keys are interchangeable.
type VehicleKey = (usize, usize, u64, u64, u32);

fn canonical_vehicles(p: &RoutingProblem, routes: &mut [RouteSolution]) {
    let locked: Vec<usize> = p.locks.iter().filter(|l| !l.jobs.is_empty()).map(|l| l.vehicle).collect();
    let key = |v: &VehicleSpec| (v.start, v.end, v.earliest.to_bits(), v.latest.to_bits(), v.capacity);
    let mut groups: Vec<(VehicleKey, Vec<usize>)> = Vec::new();
    for (i, v) in p.vehicles.iter().enumerate() {
        if locked.contains(&i) {
            continue;
        }
        match groups.iter_mut().find(|(k, _)| *k == key(v)) {
            Some((_, members)) => members.push(i),
            None => groups.push((key(v), vec![i])),
        }
    }
    for (_, members) in &groups {
        let mut mine: Vec<&mut RouteSolution> = routes.iter_mut().filter(|r| members.contains(&r.vehicle)).collect();
        mine.sort_by_key(|r| r.jobs.first().copied().unwrap_or(usize::MAX));
        for (route, &vehicle) in mine.into_iter().zip(members.iter()) {
            route.vehicle = vehicle;
        }
    }
    routes.sort_by_key(|r| r.vehicle);
}

fn unserved_reason(info: &UnassignmentInfo) -> Unserved {
    let of = |c: &ViolationCode| match *c {
        CODE_CAPACITY => Unserved::Capacity,
        CODE_TIME => Unserved::TimeWindow,
        CODE_LOCK => Unserved::Locked,
        _ => Unserved::Unknown,
    };
    match info {
        UnassignmentInfo::Simple(code) => of(code),
        UnassignmentInfo::Detailed(list) => {
            // The most frequent code over all vehicles tried, ties to the lowest code.
            let mut counts = [0usize; 4];
            for (_, code) in list {
                let idx = match of(code) {
                    Unserved::Capacity => 0,
                    Unserved::TimeWindow => 1,
                    Unserved::Locked => 2,
                    Unserved::Unknown => 3,
                };
                counts[idx] += 1;
            }
            let best = (0..4).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(3);
            [Unserved::Capacity, Unserved::TimeWindow, Unserved::Locked, Unserved::Unknown][best]
        }
        UnassignmentInfo::Unknown => Unserved::Unknown,
    }
}

/// vrp-core's generator interface over a seeded ChaCha stream. `get_rng` (used for shuffles)
/// falls back to vrp-core's repeatable thread-local generator, which is why every reproducible
/// solve runs on a fresh thread.
struct SeededRandom {
    rng: Mutex<ChaCha8Rng>,
}

impl SeededRandom {
    fn new(seed: u64) -> Self {
        Self { rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut ChaCha8Rng) -> T) -> T {
        let mut guard = match self.rng.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }
}

impl Random for SeededRandom {
    fn uniform_int(&self, min: i32, max: i32) -> i32 {
        if min >= max {
            return min;
        }
        self.with(|r| r.gen_range(min..=max))
    }

    fn uniform_real(&self, min: Float, max: Float) -> Float {
        if (min - max).abs() < Float::EPSILON || min > max {
            return min;
        }
        self.with(|r| r.gen_range(min..max))
    }

    fn is_head_not_tails(&self) -> bool {
        self.with(|r| r.gen_bool(0.5))
    }

    fn is_hit(&self, probability: Float) -> bool {
        let p = if probability.is_nan() { 0.0 } else { probability.clamp(0.0, 1.0) };
        self.with(|r| r.gen_bool(p))
    }

    fn weighted(&self, weights: &[usize]) -> usize {
        let total: usize = weights.iter().sum();
        if total == 0 {
            return 0;
        }
        let mut pick = self.with(|r| r.gen_range(0..total));
        for (i, &w) in weights.iter().enumerate() {
            if pick < w {
                return i;
            }
            pick -= w;
        }
        weights.len() - 1
    }

    fn get_rng(&self) -> RandomGen {
        RandomGen::new_repeatable()
    }
}

/// Sorts the jobs waiting for insertion by their index. vrp-core fills that list from a hash map
/// whose order changes from run to run; the recreate step then shuffles it with our generator.
struct CanonicalOrder;

impl FeatureState for CanonicalOrder {
    fn accept_insertion(&self, _: &mut SolutionContext, _: usize, _: &Job) {}

    fn accept_route_state(&self, _: &mut RouteContext) {}

    fn accept_solution_state(&self, solution_ctx: &mut SolutionContext) {
        let key = |j: &Job| job_index(j.dimens()).unwrap_or(usize::MAX);
        solution_ctx.required.sort_by_key(key);
        solution_ctx.ignored.sort_by_key(key);
    }
}

/// vrp-core refuses a feature with only a state; this constraint never objects.
impl FeatureConstraint for CanonicalOrder {
    fn evaluate(&self, _: &MoveContext<'_>) -> Option<ConstraintViolation> {
        None
    }

    fn merge(&self, source: Job, _: Job) -> Result<Job, ViolationCode> {
        Ok(source)
    }
}

/// For each job, the other jobs ordered by distance between their locations (ties by index).
fn job_neighbours(p: &RoutingProblem) -> Vec<Vec<usize>> {
    (0..p.jobs.len())
        .map(|i| {
            let from = p.jobs[i].location;
            let mut others: Vec<usize> = (0..p.jobs.len()).filter(|&j| j != i).collect();
            others.sort_by(|&a, &b| {
                let da = p.distance[from * p.n + p.jobs[a].location];
                let db = p.distance[from * p.n + p.jobs[b].location];
                da.total_cmp(&db).then(a.cmp(&b))
            });
            others.truncate(32);
            others
        })
        .collect()
}

/// Assigned, unlocked jobs in route order: (route index, job).
fn assigned_jobs(ctx: &InsertionContext) -> Vec<(usize, Job)> {
    let mut out = Vec::new();
    for (ri, route) in ctx.solution.routes.iter().enumerate() {
        for a in route.route().tour.all_activities() {
            if let Some(single) = &a.job {
                let job = Job::Single(single.clone());
                if !ctx.solution.locked.contains(&job) {
                    out.push((ri, job));
                }
            }
        }
    }
    out
}

fn remove_jobs(ctx: &mut InsertionContext, victims: Vec<(usize, Job)>) {
    for (ri, job) in victims {
        if let Some(route) = ctx.solution.routes.get_mut(ri) {
            if route.route_mut().tour.remove(&job) {
                ctx.solution.required.push(job);
            }
        }
    }
}

fn removal_count(ctx: &InsertionContext, assigned: usize) -> usize {
    let jobs = ctx.problem.jobs.size() as f64;
    let min = ((jobs * 0.05) as usize).clamp(1, 8);
    let max = ((jobs * 0.5) as usize).clamp(8, 32).max(min + 1);
    (ctx.environment.random.uniform_int(min as i32, max as i32) as usize).min(assigned)
}

/// Removes jobs picked at random.
struct RandomRemoval;

impl Ruin for RandomRemoval {
    fn run(&self, _: &RefinementContext, mut ctx: InsertionContext) -> InsertionContext {
        let mut pool = assigned_jobs(&ctx);
        let k = removal_count(&ctx, pool.len());
        let mut victims = Vec::with_capacity(k);
        for _ in 0..k {
            if pool.is_empty() {
                break;
            }
            let i = ctx.environment.random.uniform_int(0, pool.len() as i32 - 1) as usize;
            victims.push(pool.swap_remove(i));
        }
        remove_jobs(&mut ctx, victims);
        ctx
    }
}

/// Removes a seed job and the jobs nearest to it, so that recreate can rebuild a whole area.
struct NeighbourRemoval {
    neighbours: Arc<Vec<Vec<usize>>>,
}

impl Ruin for NeighbourRemoval {
    fn run(&self, _: &RefinementContext, mut ctx: InsertionContext) -> InsertionContext {
        let pool = assigned_jobs(&ctx);
        let k = removal_count(&ctx, pool.len());
        let victims = seed_and_neighbours(&ctx, &pool, &self.neighbours, k);
        remove_jobs(&mut ctx, victims);
        ctx
    }
}

/// A random assigned job followed by the assigned jobs nearest to it, at most `limit`.
fn seed_and_neighbours(
    ctx: &InsertionContext,
    pool: &[(usize, Job)],
    neighbours: &[Vec<usize>],
    limit: usize,
) -> Vec<(usize, Job)> {
    if pool.is_empty() || limit == 0 {
        return vec![];
    }
    let seed = ctx.environment.random.uniform_int(0, pool.len() as i32 - 1) as usize;
    let mut out = vec![pool[seed].clone()];
    if let Some(seed_idx) = job_index(pool[seed].1.dimens()) {
        for &n in &neighbours[seed_idx] {
            if out.len() >= limit {
                break;
            }
            if let Some(found) = pool.iter().find(|(_, j)| job_index(j.dimens()) == Some(n)) {
                out.push(found.clone());
            }
        }
    }
    out
}

/// Removes a run of consecutive stops from the route of a seed job and from routes of its
/// neighbours (a simple form of string removal).
struct StringRemoval {
    neighbours: Arc<Vec<Vec<usize>>>,
}

impl Ruin for StringRemoval {
    fn run(&self, _: &RefinementContext, mut ctx: InsertionContext) -> InsertionContext {
        let pool = assigned_jobs(&ctx);
        let k = removal_count(&ctx, pool.len());
        let random = ctx.environment.random.clone();
        let anchors = seed_and_neighbours(&ctx, &pool, &self.neighbours, usize::MAX);
        let mut touched_routes = Vec::new();
        let mut victims: Vec<(usize, Job)> = Vec::new();
        for (ri, anchor) in anchors {
            if victims.len() >= k || touched_routes.len() >= 3 {
                break;
            }
            if touched_routes.contains(&ri) {
                continue;
            }
            touched_routes.push(ri);
            let in_route: Vec<(usize, Job)> = pool.iter().filter(|(r, _)| *r == ri).cloned().collect();
            let Some(pos) = in_route.iter().position(|(_, j)| *j == anchor) else { continue };
            let max_len = (k - victims.len()).min(in_route.len()).max(1);
            let len = random.uniform_int(1, max_len as i32) as usize;
            let start_min = pos.saturating_sub(len - 1);
            let start_max = pos.min(in_route.len() - len);
            let start = random.uniform_int(start_min as i32, start_max.max(start_min) as i32) as usize;
            victims.extend(in_route[start..start + len].iter().cloned());
        }
        remove_jobs(&mut ctx, victims);
        ctx
    }
}

/// Removes one whole route (unlocked jobs only), so recreate can try with a vehicle fewer.
struct RouteRemoval;

impl Ruin for RouteRemoval {
    fn run(&self, _: &RefinementContext, mut ctx: InsertionContext) -> InsertionContext {
        let pool = assigned_jobs(&ctx);
        let routes: Vec<usize> = {
            let mut r: Vec<usize> = pool.iter().map(|(ri, _)| *ri).collect();
            r.dedup();
            r
        };
        if routes.is_empty() {
            return ctx;
        }
        let pick = routes[ctx.environment.random.uniform_int(0, routes.len() as i32 - 1) as usize];
        let victims: Vec<(usize, Job)> = pool.into_iter().filter(|(ri, _)| *ri == pick).collect();
        remove_jobs(&mut ctx, victims);
        ctx
    }
}

fn reproducible_recreate(random: Arc<dyn Random>) -> Arc<WeightedRecreate> {
    Arc::new(WeightedRecreate::new(vec![
        (Arc::new(RecreateWithSkipBest::new(1, 2, random.clone())), 50),
        (Arc::new(RecreateWithCheapest::new(random.clone())), 20),
        (Arc::new(RecreateWithPerturbation::new_with_defaults(random.clone())), 10),
        (Arc::new(RecreateWithSkipBest::new(3, 4, random.clone())), 5),
        (Arc::new(RecreateWithGaps::new(2, 20, random.clone())), 5),
        (Arc::new(RecreateWithBlinks::new_with_defaults(random.clone())), 5),
        (Arc::new(RecreateWithFarthest::new(random.clone())), 2),
        (Arc::new(RecreateWithNearestNeighbor::new(random.clone())), 1),
        (Arc::new(RecreateWithSlice::new(random)), 1),
    ]))
}

fn reproducible_heuristic(
    problem: Arc<Problem>,
    environment: Arc<Environment>,
    neighbours: Arc<Vec<Vec<usize>>>,
) -> TargetHeuristic {
    let random = environment.random.clone();
    let extra: (Arc<dyn Ruin>, Float) = (Arc::new(RandomRemoval), 0.1);
    let ruin = Arc::new(WeightedRuin::new(vec![
        (vec![(Arc::new(StringRemoval { neighbours: neighbours.clone() }), 1.0), extra.clone()], 100),
        (vec![(Arc::new(NeighbourRemoval { neighbours }), 1.0), extra.clone()], 20),
        (vec![(Arc::new(RandomRemoval), 1.0)], 10),
        (vec![(Arc::new(RouteRemoval), 1.0), extra], 5),
    ]));
    let search = Arc::new(RuinAndRecreate::new(ruin, reproducible_recreate(random.clone())));
    let diversify = Arc::new(WeightedHeuristicOperator::new(
        vec![Arc::new(RuinAndRecreate::new(
            Arc::new(WeightedRuin::new(vec![(vec![(Arc::new(RouteRemoval), 1.0), (Arc::new(RandomRemoval), 1.0)], 1)])),
            Arc::new(RecreateWithCheapest::new(random.clone())),
        ))],
        vec![1],
    ));
    let _ = problem;
    Box::new(StaticSelective::new(
        vec![(search, create_scalar_operator_probability(1.0, random))],
        vec![diversify],
    ))
}

fn reproducible_initial(
    random: Arc<dyn Random>,
) -> vrp_core::rosomaxa::evolution::InitialOperators<
    RefinementContext,
    vrp_core::models::GoalContext,
    InsertionContext,
> {
    let wrap = |r: Arc<dyn Recreate>| {
        Box::new(RecreateInitialOperator::new(r))
            as Box<
                dyn vrp_core::rosomaxa::evolution::InitialOperator<
                        Context = RefinementContext,
                        Objective = vrp_core::models::GoalContext,
                        Solution = InsertionContext,
                    > + Send
                    + Sync,
            >
    };
    vec![
        (wrap(Arc::new(RecreateWithCheapest::new(random.clone()))), 1),
        (wrap(Arc::new(RecreateWithFarthest::new(random.clone()))), 1),
        (wrap(Arc::new(RecreateWithSkipBest::new(1, 2, random.clone()))), 1),
        (wrap(Arc::new(RecreateWithBlinks::new_with_defaults(random.clone()))), 1),
        (wrap(Arc::new(RecreateWithNearestNeighbor::new(random))), 1),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn malformed_problem_is_an_error_not_a_panic() {
        let mut p = line_problem(2, 1);
        p.distance.pop();
        assert!(matches!(solve(&p, &opts(1)), Err(EngineError::Malformed(_))));
        let mut p = line_problem(2, 1);
        p.vehicles[0].capacity = 0;
        assert!(matches!(solve(&p, &opts(1)), Err(EngineError::Malformed(_))));
    }
}
