//! The reproducible search: the same problem and seed give the same routes, run after run.
//!
//! vrp-core alone is not repeatable (issue reinterpretcat/vrp#136): its default hyper-heuristic
//! weighs operators by their measured run time, several operators stop on 200 ms wall-clock
//! quotas, and tabu lists and registries iterate `HashSet`s keyed by pointer. So this search runs
//! on one fresh thread (see [`super::solve`]) with a seeded generator ([`SeededRandom`]), a
//! generation budget, vrp-core's insertion (recreate) operators and our own ruin operators that
//! walk tours in order, and it sorts the list of jobs waiting for insertion before every
//! recreate ([`CanonicalOrder`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vrp_core::construction::heuristics::{InsertionContext, MoveContext, RouteContext, SolutionContext};
use vrp_core::models::problem::Job;
use vrp_core::models::{ConstraintViolation, FeatureConstraint, FeatureState, Problem, Solution, ViolationCode};
use vrp_core::rosomaxa::evolution::TelemetryMode;
use vrp_core::rosomaxa::hyper::StaticSelective;
use vrp_core::rosomaxa::population::Elitism;
use vrp_core::rosomaxa::prelude::{Environment, Float, InfoLogger, Quota, Random, RandomGen};
use vrp_core::rosomaxa::utils::{Parallelism, TimeQuota};
use vrp_core::solver::search::{
    Recreate, RecreateWithBlinks, RecreateWithCheapest, RecreateWithFarthest, RecreateWithGaps,
    RecreateWithNearestNeighbor, RecreateWithPerturbation, RecreateWithSkipBest, RecreateWithSlice, Ruin,
    RuinAndRecreate, WeightedHeuristicOperator, WeightedRecreate, WeightedRuin,
};
use vrp_core::solver::{
    create_default_processing, create_scalar_operator_probability, RecreateInitialOperator, RefinementContext,
    Solver, TargetHeuristic, VrpConfigBuilder,
};

use super::build::{canonical_vehicles, job_index, read_solution, Problems};
use super::{ejection, sisr};
use super::{solver_err, EngineError, RouteSolution, RoutingProblem, RoutingSolution, SolveOptions, Unserved};

/// The wall-clock cap of a reproducible search, which remembers whether it stopped the search: a
/// plan cut short by it is no longer repeatable, and says so (`PlanMeta::time_capped`).
struct CapQuota {
    time: TimeQuota,
    reached: AtomicBool,
}

impl Quota for CapQuota {
    fn is_reached(&self) -> bool {
        let reached = self.time.is_reached();
        if reached {
            self.reached.store(true, Ordering::Relaxed);
        }
        reached
    }
}

/// Share of the generations spent by vrp-core (under the route-minimisation goal) to build the
/// start solution of our own searches. With frozen routes (locks) vrp-core does all the work
/// instead: a quarter of it on routes, the rest on distance.
const CONSTRUCTION_SHARE: f64 = 0.05;
const ROUTE_MIN_SHARE_LOCKED: f64 = 0.25;

/// Work units (stops looked at, see [`ejection::Ctx`]) per generation of the budget for a problem
/// of at least `FULL_SIZE` jobs. Calibrated so that 6,000 generations (`sigap solomon`'s default)
/// take about 10 s of one quiet core on a 100-customer Solomon instance. Smaller problems get
/// (jobs / `FULL_SIZE`)² of it: an iteration there looks at fewer positions and the search space
/// is far smaller, and a city plan solves hundreds of depot-days of 20–60 stops.
const WORK_PER_GENERATION: u64 = 100_000;
const FULL_SIZE: u64 = 100;

/// At most this share of the work goes to route minimisation (the ejection pool stops earlier at
/// the capacity lower bound and leaves the rest to distance).
const ROUTE_MIN_WORK: f64 = 0.6;

/// The work budget of a search with `generations` on `p`.
fn work_budget(p: &RoutingProblem, generations: usize) -> u64 {
    let size = (p.jobs.len() as u64).min(FULL_SIZE);
    (generations as u64).saturating_mul(WORK_PER_GENERATION).saturating_mul(size * size) / (FULL_SIZE * FULL_SIZE)
}

/// Runs the seeded, work-bounded search on `problems` (built from `p`). Call it on a fresh
/// thread: `get_rng` falls back to vrp-core's thread-local generator.
///
/// 1. vrp-core builds a start solution in `CONSTRUCTION_SHARE` of `options.generations` under the
///    route-minimisation goal (see [`super::build::Problems`]); its unassigned jobs keep the
///    reason vrp-core found;
/// 2. the ejection pool of Nagata & Bräysy (2009) removes routes ([`super::ejection`]), at most
///    `ROUTE_MIN_WORK` of the work budget;
/// 3. SISR (Christiaens & Vanden Berghe 2020) shortens the routes with that fleet
///    ([`super::sisr`]) for the rest of the budget.
///
/// With locks (frozen routes) steps 2 and 3 do not apply (they do not know locks) and vrp-core
/// searches on distance instead. `options.max_seconds` is only a safety cap; `time_capped` in the
/// answer says whether it cut the search short (then the result may differ between runs).
pub(super) fn search(p: &RoutingProblem, problems: Problems, options: &SolveOptions, logger: InfoLogger) -> Result<RoutingSolution, EngineError> {
    let started = Instant::now();
    let random: Arc<dyn Random> = Arc::new(SeededRandom::new(options.seed));
    let cap = options.max_seconds.map(|s| Arc::new(CapQuota { time: TimeQuota::new(s), reached: AtomicBool::new(false) }));
    let quota = cap.clone().map(|c| c as Arc<dyn Quota>);
    let environment = Arc::new(Environment::new(random.clone(), quota, Parallelism::new_with_cpus(2), logger, false));
    let neighbours = Arc::new(job_neighbours(p));
    let was_capped = || cap.as_ref().is_some_and(|c| c.reached.load(Ordering::Relaxed));
    if !p.locks.is_empty() {
        let first = ((options.generations as f64 * ROUTE_MIN_SHARE_LOCKED) as usize).min(options.generations.saturating_sub(1));
        let init = if first > 0 { Some(stage(&problems.route_min, &environment, &neighbours, first, None, true)?) } else { None };
        let solution = stage(&problems.distance, &environment, &neighbours, options.generations - first, init, false)?;
        let mut out = read_solution(p, &solution)?;
        out.time_capped = was_capped();
        return Ok(out);
    }
    let first = ((options.generations as f64 * CONSTRUCTION_SHARE).ceil() as usize).max(1);
    let solution = stage(&problems.route_min, &environment, &neighbours, first, None, true)?;
    let mut start = read_solution(p, &solution)?;
    if was_capped() {
        start.time_capped = true;
        return Ok(start);
    }
    let deadline = options.max_seconds.map(|s| started + Duration::from_secs_f64(s.clamp(0.0, 1.0e9)));
    let ctx = ejection::Ctx::new(p, &neighbours, deadline);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x5153_2020);
    let budget = work_budget(p, options.generations);
    let tours: Vec<ejection::Tour> = start.routes.iter().map(|r| ejection::Tour { vehicle: r.vehicle, jobs: r.jobs.clone() }).collect();
    let tours = ejection::minimise_routes(&ctx, tours, &mut rng, (budget as f64 * ROUTE_MIN_WORK) as u64);
    let tours = sisr::optimise(&ctx, &tours, &mut rng, budget.saturating_sub(ctx.work()));
    let mut routes: Vec<RouteSolution> = tours.into_iter().map(|t| RouteSolution { vehicle: t.vehicle, jobs: t.jobs }).collect();
    canonical_vehicles(p, &mut routes);
    let mut on_route = vec![false; p.jobs.len()];
    for r in &routes {
        for &j in &r.jobs {
            on_route[j] = true;
        }
    }
    let unassigned = (0..p.jobs.len())
        .filter(|&j| !on_route[j])
        .map(|j| (j, start.unassigned.iter().find(|u| u.0 == j).map_or_else(|| fallback_reason(p, j), |u| u.1)))
        .collect();
    Ok(RoutingSolution { routes, unassigned, time_capped: was_capped() || ctx.capped() })
}

/// Why a job vrp-core had placed is left out by our searches (they never leave more jobs out
/// than they were given, but may leave out another one): too big for every vehicle, or else
/// the fleet was full.
fn fallback_reason(p: &RoutingProblem, j: usize) -> Unserved {
    if p.vehicles.iter().all(|v| v.capacity < p.jobs[j].demand) {
        Unserved::Capacity
    } else {
        Unserved::Unknown
    }
}

/// One evolutionary stage on `problem` for `generations`, from fresh initial solutions or from
/// `init` (a solution of the same fleet and jobs under another goal).
fn stage(
    problem: &Arc<Problem>,
    environment: &Arc<Environment>,
    neighbours: &Arc<Vec<Vec<usize>>>,
    generations: usize,
    init: Option<Solution>,
    route_min: bool,
) -> Result<Solution, EngineError> {
    let random = environment.random.clone();
    let heuristic = reproducible_heuristic(environment.clone(), neighbours.clone(), route_min);
    let population = Box::new(Elitism::new(problem.goal.clone(), random.clone(), 4, 2));
    let context = RefinementContext::new(problem.clone(), population, TelemetryMode::None, environment.clone());
    let builder = VrpConfigBuilder::new(problem.clone())
        .set_environment(environment.clone())
        .set_telemetry_mode(TelemetryMode::None)
        .set_heuristic(heuristic)
        .prebuild()
        .map_err(solver_err)?
        .with_context(context)
        .with_processing(create_default_processing())
        .with_initial(4, 0.05, reproducible_initial(random.clone()))
        .with_max_generations(Some(generations));
    let builder = match init {
        Some(solution) => {
            let ctx = InsertionContext::new_from_solution(problem.clone(), (solution, None), environment.clone());
            builder.with_init_solutions(vec![ctx], Some(1))
        }
        None => builder,
    };
    let config = builder.build().map_err(solver_err)?;
    Solver::new(problem.clone(), config).solve().map_err(solver_err)
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
pub(super) struct CanonicalOrder;

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
pub(super) fn job_neighbours(p: &RoutingProblem) -> Vec<Vec<usize>> {
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

/// Removes the route with the fewest jobs (the first such route on ties), with some random
/// jobs elsewhere so that its jobs find room.
struct SmallestRouteRemoval;

impl Ruin for SmallestRouteRemoval {
    fn run(&self, _: &RefinementContext, mut ctx: InsertionContext) -> InsertionContext {
        let pool = assigned_jobs(&ctx);
        let mut sizes: Vec<(usize, usize)> = Vec::new();
        for (ri, _) in &pool {
            match sizes.last_mut() {
                Some((r, n)) if r == ri => *n += 1,
                _ => sizes.push((*ri, 1)),
            }
        }
        let Some(&(pick, _)) = sizes.iter().min_by_key(|(ri, n)| (*n, *ri)) else { return ctx };
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

/// The ruin-and-recreate operators. In the route-minimisation stage whole routes are removed
/// far more often (the smallest one first), since that is the move that can save a truck.
fn reproducible_heuristic(environment: Arc<Environment>, neighbours: Arc<Vec<Vec<usize>>>, route_min: bool) -> TargetHeuristic {
    let random = environment.random.clone();
    let extra: (Arc<dyn Ruin>, Float) = (Arc::new(RandomRemoval), 0.1);
    let ruin = Arc::new(WeightedRuin::new(vec![
        (vec![(Arc::new(StringRemoval { neighbours: neighbours.clone() }), 1.0), extra.clone()], 100),
        (vec![(Arc::new(NeighbourRemoval { neighbours }), 1.0), extra.clone()], 20),
        (vec![(Arc::new(RandomRemoval), 1.0)], 10),
        (vec![(Arc::new(RouteRemoval), 1.0), extra.clone()], 5),
        (vec![(Arc::new(SmallestRouteRemoval), 1.0), extra], if route_min { 40 } else { 1 }),
    ]));
    let search = Arc::new(RuinAndRecreate::new(ruin, reproducible_recreate(random.clone())));
    let diversify = Arc::new(WeightedHeuristicOperator::new(
        vec![Arc::new(RuinAndRecreate::new(
            Arc::new(WeightedRuin::new(vec![(vec![(Arc::new(RouteRemoval), 1.0), (Arc::new(RandomRemoval), 1.0)], 1)])),
            Arc::new(RecreateWithCheapest::new(random.clone())),
        ))],
        vec![1],
    ));
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
