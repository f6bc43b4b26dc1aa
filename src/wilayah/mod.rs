//! The administrative hierarchy of DKI Jakarta (kota → kecamatan → kelurahan → RW) and the
//! in-memory atlas that answers "which kelurahan is this point in".

mod atlas;
mod code;
pub mod geojson_io;
pub mod import;
pub mod http;
pub mod rwgen;
pub mod rwsource;
pub mod fit;
pub mod territory;

pub use atlas::{
    check_lon_lat, from_metric, project, to_metric, unproject, Area, AreaRef, Atlas, AtlasConfig, AtlasHandle,
    LocateError, Location, Method, Neighbour,
};
pub use code::{AreaCode, CodeError, Level};
