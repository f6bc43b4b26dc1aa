//! Complaints (CRM, Pergub DKI 39/2019): intake from every channel, routing to the unit that
//! must act, re-routing between units, a checked status machine with append-only history,
//! queues, Open311 GeoReport v2, the monthly report and bulk import.
//!
//! `model`, `routing`, `status` and `report` are pure; `store`, `http`, `open311`, `cli` adapt them.

pub mod model;
pub mod routing;
pub mod status;
pub mod report;
pub mod store;
pub mod http;
pub mod open311;
pub mod cli;
pub mod attachments;
