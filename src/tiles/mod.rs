//! Vector tiles of the administrative layers, made from the in-memory atlas (never from SQL),
//! so a GeoPackage deployment serves the same map as a PostGIS one. For PostGIS deployments
//! martin can serve the same layers instead (`tiles/martin.yaml`); see `src/tiles/README.md`.

pub mod basemap;
pub mod cache;
pub mod dissolve;
pub mod http;
pub mod index;
pub mod mvt;
pub mod sites;
pub mod tile;

pub use cache::TileService;
pub use index::TileIndex;
pub use tile::{TileError, TileId, WorldRect};
