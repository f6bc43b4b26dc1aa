//! sigap: the spatial backbone of DKI Jakarta's crisis response.
//!
//! Organised by domain: `wilayah` (areas and the in-memory atlas), `store` (GeoPackage and
//! PostGIS), `api` (HTTP assembly, auth, errors), and one folder per feature domain.
//!
//! Every domain has the same files and follows the same write discipline; both are written down
//! in `src/README.md` (the domain template and checklist for adding a domain).

pub mod api;
pub mod bansos;
pub mod cli;
pub mod complaints;
pub mod ogc;
pub mod logistics;
pub mod ksbb;
pub mod planner;
pub mod recipients;
pub mod roads;
pub mod search;
pub mod store;
pub mod text;
pub mod tiles;
pub mod wilayah;
