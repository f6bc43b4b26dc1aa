//! Distribution planner: truck routes and a day-by-day schedule from the warehouses (gudang) to
//! every RW drop point, re-planned as deliveries come in. See `README.md` in this folder.

pub mod cli;
pub mod engine;
pub mod http;
pub mod model;
pub mod network;
pub mod plan;
pub mod replan;
pub mod schedule;
pub mod solomon;
pub mod sources;
pub mod store;
pub mod travel;

pub use model::{DepotInput, FrozenRoute, PlanError, PlanRequest, PlanSettings, StopInput};
pub use plan::{Plan, Reason};
pub use schedule::{plan, plan_within, PlannerError, Progress};
pub use travel::{GreatCircle, TravelMatrix};
