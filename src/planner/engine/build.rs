//! Our problem in, vrp-core's model out, and back: the fleet, the jobs with their demands and
//! windows, frozen routes as locks, the features (capacity, shift time, fewest unassigned, fewest
//! trucks, shortest distance) and the goal that ranks them; then the routes vrp-core found, read
//! back as indices into [`RoutingProblem`] with a stable truck labelling and a reason for each
//! job left out. Kept apart from the search so the same problem serves both search modes.

use std::sync::Arc;

use vrp_core::construction::features::{
    create_locked_jobs_feature, create_minimize_tours_feature, CapacityFeatureBuilder, JobDemandDimension,
    MinimizeUnassignedBuilder, TransportFeatureBuilder,
};
use vrp_core::construction::heuristics::{InsertionContext, MoveContext, UnassignmentInfo};
use vrp_core::models::common::{Cost, Demand, Dimensions, SingleDimLoad, TimeSpan, TimeWindow};
use vrp_core::models::problem::{
    Costs, Driver, Fleet, Job, JobIdDimension, Jobs, Place, SimpleActivityCost, SimpleTransportCost, Single,
    TransportCost, VehicleBuilder, VehicleDetailBuilder,
};
use vrp_core::models::{
    FeatureBuilder, FeatureObjective, Goal, GoalContext, GoalContextBuilder, Lock, LockDetail, LockOrder, LockPosition, Problem, Solution, ViolationCode,
};
use vrp_core::rosomaxa::prelude::InfoLogger;

use super::reproducible::CanonicalOrder;
use super::{solver_err, EngineError, RouteSolution, RoutingProblem, RoutingSolution, Unserved, VehicleSpec};

/// Keys of our own dimensions: the index of a job or vehicle in [`RoutingProblem`].
pub(super) struct JobIndexKey;
pub(super) struct VehicleIndexKey;

pub(super) fn job_index(dimens: &Dimensions) -> Option<usize> {
    dimens.get_value::<JobIndexKey, usize>().copied()
}

pub(super) fn vehicle_index(dimens: &Dimensions) -> Option<usize> {
    dimens.get_value::<VehicleIndexKey, usize>().copied()
}

/// Distances stand in for "no road" so the time constraint rejects such legs.
const UNREACHABLE: f64 = 1.0e9;

const CODE_CAPACITY: ViolationCode = ViolationCode(1);
const CODE_TIME: ViolationCode = ViolationCode(2);
const CODE_LOCK: ViolationCode = ViolationCode(3);

/// The same problem under two goals, sharing fleet, jobs and constraints so that a solution of
/// one is a solution of the other.
pub(super) struct Problems {
    /// Fewest unassigned, fewest trucks, shortest distance: what a plan is judged by.
    pub distance: Arc<Problem>,
    /// The route-minimisation stage of Bent & Van Hentenryck (2004, "A two-stage hybrid local
    /// search for the vehicle routing problem with time windows", Transportation Science 38(4)):
    /// fewest unassigned, fewest trucks, then the *largest* sum of squared route sizes, then
    /// distance. Among solutions with as many routes, the one with some routes nearly empty and
    /// others full ranks first, which gives the search a slope towards emptying a route; counting
    /// routes alone gives it none.
    pub route_min: Arc<Problem>,
}

/// Objective of the route-minimisation stage: minus the sum over routes of (jobs on the route)².
/// Its insertion estimate is zero, so insertions stay driven by distance.
struct RouteSizeSquares;

impl FeatureObjective for RouteSizeSquares {
    fn fitness(&self, solution: &InsertionContext) -> Cost {
        -solution.solution.routes.iter().map(|r| (r.route().tour.job_count() as Cost).powi(2)).sum::<Cost>()
    }

    fn estimate(&self, _: &MoveContext<'_>) -> Cost {
        0.0
    }
}

/// Builds vrp-core's problem for `p`. `reproducible` adds the feature that keeps the list of
/// jobs waiting for insertion in a fixed order (see [`CanonicalOrder`]).
pub(super) fn problem(p: &RoutingProblem, reproducible: bool, logger: &InfoLogger) -> Result<Problems, EngineError> {
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
    let jobs = Jobs::new(&fleet, jobs.clone(), transport.as_ref(), logger).map_err(solver_err)?;

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
    features.push(FeatureBuilder::default().with_name("route_sizes").with_objective(RouteSizeSquares).build().map_err(solver_err)?);
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
    let route_min_goal = GoalContextBuilder::with_features(&features)
        .and_then(|b| Ok(b.set_main_goal(Goal::subset_of(&features, &["min_unassigned", "min_tours", "route_sizes", "min_distance"])?)))
        .and_then(|b| b.build())
        .map_err(solver_err)?;

    let (fleet, jobs, extras) = (Arc::new(fleet), Arc::new(jobs), Arc::new(vrp_core::models::Extras::default()));
    let with_goal = |goal: GoalContext| {
        Arc::new(Problem {
            fleet: fleet.clone(),
            jobs: jobs.clone(),
            locks: locks.clone(),
            goal: Arc::new(goal),
            activity: activity.clone(),
            transport: transport.clone(),
            extras: extras.clone(),
        })
    };
    Ok(Problems { distance: with_goal(goal), route_min: with_goal(route_min_goal) })
}

/// Reads vrp-core's solution back as our indices, and checks no job was lost on the way.
pub(super) fn read_solution(p: &RoutingProblem, solution: &Solution) -> Result<RoutingSolution, EngineError> {
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
    Ok(RoutingSolution { routes, unassigned, time_capped: false })
}

/// Start, end, shift (as bits) and capacity: vehicles with equal keys are interchangeable.
type VehicleKey = (usize, usize, u64, u64, u32);

/// vrp-core picks among identical vehicles through a hash set, so which of two equal trucks
/// gets a route changes from run to run. Relabel: within each group of interchangeable vehicles
/// (same start, end, shift and capacity, not locked), routes ordered by their first job take the
/// group's vehicles in index order.
pub(super) fn canonical_vehicles(p: &RoutingProblem, routes: &mut [RouteSolution]) {
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
