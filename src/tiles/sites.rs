//! The hook for point layers (posko, gudang, lokbin… as their domains add them): a domain
//! implements `SiteSource` and registers it with `TileService::register_site_layer`; its sites
//! are then served at `/tiles/{name}/{z}/{x}/{y}.mvt` like the boundary layers, cached, and
//! dropped from the cache by `TileService::sites_changed` for exactly the tiles around the
//! changed points.

use super::mvt::{encode_tile, LayerBuilder, Prop};
use super::tile::{to_world, TileId, BUFFER};
use std::future::Future;
use std::pin::Pin;

/// One point of a site layer, WGS84 lon/lat.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: u64,
    pub lon: f64,
    pub lat: f64,
    pub props: Vec<(String, Prop)>,
}

pub trait SiteSource: Send + Sync + 'static {
    /// The sites inside a lon/lat box `[west, south, east, north]` (a superset is fine).
    fn sites(&self, bounds: [f64; 4]) -> Vec<Site>;

    /// Brings the source up to date before one of its tiles is served, for sources whose data
    /// other writers change (another process, the CLI): returns (layer, lon, lat) of every site
    /// whose feature changed, whose cached tiles `TileService::refresh_site` then drops. The
    /// default changes nothing (the source calls `sites_changed` itself).
    fn refresh(&self) -> Pin<Box<dyn Future<Output = Vec<(String, f64, f64)>> + Send + '_>> {
        Box::pin(async { Vec::new() })
    }
}

/// Encodes one tile of a site layer; None when no site is in it.
pub fn render(name: &str, source: &dyn SiteSource, tile: TileId) -> Option<Vec<u8>> {
    let mut sites = source.sites(tile.world_bounds(BUFFER).to_lonlat());
    sites.sort_by_key(|s| s.id);
    let mut layer = LayerBuilder::new(name);
    for s in &sites {
        let props: Vec<(&str, Prop)> = s.props.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        layer.add_point(tile, to_world(s.lon, s.lat), s.id, &props);
    }
    encode_tile(vec![layer.finish()])
}

/// A site layer name: lowercase letters, digits and `_`, not one of the boundary layers nor the basemap.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && name.parse::<crate::wilayah::Level>().is_err()
        && name != super::basemap::LAYER
}
