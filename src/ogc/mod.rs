//! OGC API – Features at `/ogc`: every map layer of sigap through the open standard QGIS, GDAL
//! and OWSLib speak (Citata's tools). Pure logic in `model`, `crs`, `doc`, `html`; the layers
//! behind one trait in `collections` (sigap's own in `sources`); HTTP in `http`.
//! See `src/ogc/README.md`.

pub mod collections;
pub mod cql2;
pub mod crs;
pub mod doc;
pub mod html;
pub mod http;
pub mod model;
pub mod sources;
