//! The road network of mainland Jakarta (OpenStreetMap, 2012; `data/roads/`), read once into
//! plain typed segments. The planner builds its travel-time graph from them and the public map
//! its basemap tiles, so both agree on what a road is and neither parses the file itself.

pub mod source;

pub use source::{read_roads, Oneway, RoadClass, RoadError, RoadSegment};
