//! Re-planning from delivery progress: stops already served drop out, partly served stops keep
//! their remainder, and the trucks already on the road today keep their stops (frozen on day 1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{FrozenRoute, PlanError, PlanRequest};
use super::plan::Plan;

/// Packages received at a stop so far (from the BAST / bansos progress). Unknown fields are
/// refused (a re-plan body and `delivered.csv` alike): a misspelt `packages` would otherwise
/// fail later as missing, and any other stray field would be dropped without a word.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Delivered {
    pub stop: String,
    pub packages: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReplanRequest {
    /// The request the previous plan was made from (stops with their full packages).
    pub request: PlanRequest,
    #[serde(default)]
    pub delivered: Vec<Delivered>,
    /// The previous plan and the day of it that is on the road now: its routes are frozen.
    #[serde(default)]
    pub previous: Option<Plan>,
    #[serde(default)]
    pub freeze_day: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ReplanSummary {
    /// Stops fully served, dropped from the new request.
    pub served: Vec<String>,
    /// Stops with a remainder: (id, packages left).
    pub partly_served: Vec<(String, u32)>,
    /// Stops that received more than requested.
    pub over_delivered: Vec<String>,
    pub frozen_routes: usize,
}

/// Builds the request for the new plan.
pub fn remaining(r: ReplanRequest) -> Result<(PlanRequest, ReplanSummary), PlanError> {
    let mut delivered: BTreeMap<&str, i64> = BTreeMap::new();
    for (i, d) in r.delivered.iter().enumerate() {
        let field = |name: &str| format!("delivered[{i}].{name}");
        if d.packages < 0 {
            return Err(PlanError::Negative { field: field("packages"), value: d.packages });
        }
        if !r.request.stops.iter().any(|s| s.id.trim() == d.stop.trim()) {
            return Err(PlanError::Progress { field: field("stop"), reason: format!("unknown stop '{}'", d.stop) });
        }
        *delivered.entry(d.stop.trim()).or_default() += d.packages;
    }

    let mut summary = ReplanSummary::default();
    let mut request = r.request.clone();
    request.stops.retain_mut(|s| {
        let got = delivered.get(s.id.trim()).copied().unwrap_or(0);
        if got == 0 {
            return true;
        }
        if got >= s.packages {
            if got > s.packages {
                summary.over_delivered.push(s.id.clone());
            }
            summary.served.push(s.id.clone());
            return false;
        }
        s.packages -= got;
        summary.partly_served.push((s.id.clone(), s.packages as u32));
        true
    });

    match (&r.previous, r.freeze_day) {
        (Some(previous), Some(day)) => {
            let Some(today) = previous.days.iter().find(|d| d.day == day) else {
                return Err(PlanError::Progress {
                    field: "freeze_day".into(),
                    reason: format!("the previous plan has no day {day} (it has {})", previous.days.len()),
                });
            };
            let open: Vec<&str> = request.stops.iter().map(|s| s.id.as_str()).collect();
            request.frozen = today
                .routes
                .iter()
                .filter_map(|route| {
                    let mut stops: Vec<String> = Vec::new();
                    for v in &route.stops {
                        if open.contains(&v.stop.as_str()) && !stops.contains(&v.stop) {
                            stops.push(v.stop.clone());
                        }
                    }
                    (!stops.is_empty()).then(|| FrozenRoute { depot: route.depot.clone(), truck: route.truck.clone(), stops })
                })
                .collect();
        }
        (None, Some(_)) => {
            return Err(PlanError::Progress { field: "previous".into(), reason: "freeze_day needs the previous plan".into() })
        }
        _ => {}
    }
    summary.frozen_routes = request.frozen.len();
    if request.stops.is_empty() {
        return Err(PlanError::Progress { field: "delivered".into(), reason: "every stop is already served; nothing to plan".into() });
    }
    Ok((request, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::model::{DepotInput, PlanSettings, StopInput};
    use crate::planner::{plan, GreatCircle};

    fn request() -> PlanRequest {
        let stop = |id: &str, lon: f64, lat: f64, packages: i64| StopInput { id: id.into(), lon, lat, packages, ..Default::default() };
        PlanRequest {
            depots: vec![DepotInput {
                id: "BKT".into(),
                name: "Balaikota".into(),
                lon: 106.8286,
                lat: -6.1818,
                stock: 10_000,
                trucks: 2,
                truck_capacity: 300,
                shift_start: crate::planner::model::ClockTime::hm(7, 0),
                shift_end: crate::planner::model::ClockTime::hm(17, 0),
                cost_per_km: None,
                note: None,
                items: Default::default(),
            }],
            stops: vec![
                stop("a", 106.8166, -6.1766, 100),
                stop("b", 106.8450, -6.1770, 120),
                stop("c", 106.8540, -6.2260, 200),
                stop("d", 106.7900, -6.1620, 150),
            ],
            settings: PlanSettings { days: 3, budget: crate::planner::model::Budget { generations: 40, max_seconds: None }, ..Default::default() },
            frozen: vec![],
        }
    }

    #[test]
    fn served_stops_drop_and_partly_served_keep_the_rest() {
        let r = ReplanRequest {
            request: request(),
            delivered: vec![
                Delivered { stop: "a".into(), packages: 100 },
                Delivered { stop: "b".into(), packages: 20 },
                Delivered { stop: "c".into(), packages: 250 },
            ],
            previous: None,
            freeze_day: None,
        };
        let (req, summary) = remaining(r).unwrap();
        let left: Vec<(&str, i64)> = req.stops.iter().map(|s| (s.id.as_str(), s.packages)).collect();
        assert_eq!(left, vec![("b", 100), ("d", 150)]);
        assert_eq!(summary.served, vec!["a".to_string(), "c".to_string()]);
        assert_eq!(summary.over_delivered, vec!["c".to_string()]);
        assert_eq!(summary.partly_served, vec![("b".to_string(), 100)]);
    }

    #[test]
    fn todays_routes_are_frozen_on_day_one_of_the_new_plan() {
        let original = request();
        let travel = GreatCircle::new(original.settings.travel);
        let first = plan(original.clone(), &travel, &|_| {}).unwrap();
        let r = ReplanRequest {
            request: original,
            delivered: vec![Delivered { stop: "a".into(), packages: 100 }],
            previous: Some(first.clone()),
            freeze_day: Some(1),
        };
        let (req, summary) = remaining(r).unwrap();
        assert!(summary.frozen_routes >= 1);
        assert!(req.frozen.iter().all(|f| !f.stops.contains(&"a".to_string())), "served stop must not stay frozen");
        let again = plan(req.clone(), &travel, &|_| {}).unwrap();
        for f in &req.frozen {
            let route = again.days[0].routes.iter().find(|r| r.truck == f.truck).expect("frozen truck kept");
            assert!(route.frozen);
            for s in &f.stops {
                assert!(route.stops.iter().any(|v| &v.stop == s), "{s} left truck {}", f.truck);
            }
        }
        assert!(again.routes().all(|r| r.stops.iter().all(|v| v.stop != "a")));
    }

    #[test]
    fn bad_progress_is_an_error_naming_the_field() {
        let mut r = ReplanRequest { request: request(), delivered: vec![Delivered { stop: "zz".into(), packages: 1 }], previous: None, freeze_day: None };
        assert_eq!(remaining(r.clone()).unwrap_err().field(), "delivered[0].stop");
        r.delivered = vec![Delivered { stop: "a".into(), packages: -4 }];
        assert_eq!(remaining(r.clone()).unwrap_err().field(), "delivered[0].packages");
        r.delivered = vec![];
        r.freeze_day = Some(1);
        assert_eq!(remaining(r.clone()).unwrap_err().field(), "previous");
        r.freeze_day = None;
        r.delivered = ["a", "b", "c", "d"].iter().map(|s| Delivered { stop: s.to_string(), packages: 500 }).collect();
        assert_eq!(remaining(r).unwrap_err().field(), "delivered");
    }
}
