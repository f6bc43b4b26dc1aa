//! Reading the OSM road file (GeoJSON LineStrings with `TYPE`, `NAME`, `ONEWAY`, `LANES`, as the
//! InaSAFE extract has them). Every feature is checked: an unknown road class is kept as
//! [`RoadClass::Other`] (OSM grows new values), but a feature without a LineString, with fewer
//! than two points, or with a coordinate that is not a finite lon/lat is an error naming the
//! feature, so a broken file is refused instead of silently losing roads.

use std::path::Path;

use geo::{Coord, LineString};

#[derive(Debug, thiserror::Error)]
pub enum RoadError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{file}: {reason}")]
    Format { file: String, reason: String },
    #[error("{file}: feature {index}: {reason}")]
    Feature { file: String, index: usize, reason: String },
    #[error("{0}: no usable roads (no LineString feature)")]
    Empty(String),
}

/// OSM `highway=*` values, grouped the way routing and map styling use them. `_link` roads keep
/// their parent's class with `link = true` on the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadClass {
    Motorway,
    Trunk,
    Primary,
    Secondary,
    Tertiary,
    Unclassified,
    Residential,
    LivingStreet,
    Service,
    /// Footways, paths, pedestrian streets, tracks: drawn on the map, not driven by a truck.
    Path,
    /// Roads under construction: drawn, never routed.
    Construction,
    /// `road` (unknown type) and any value OSM adds later.
    Other,
}

impl RoadClass {
    /// Parses an OSM `highway` value; the second value says whether it was a `_link` ramp.
    pub fn from_osm(value: &str) -> (RoadClass, bool) {
        let v = value.trim().to_ascii_lowercase();
        let (base, link) = match v.strip_suffix("_link") {
            Some(b) => (b.to_string(), true),
            None => (v, false),
        };
        let class = match base.as_str() {
            "motorway" => RoadClass::Motorway,
            "trunk" => RoadClass::Trunk,
            "primary" => RoadClass::Primary,
            "secondary" => RoadClass::Secondary,
            "tertiary" => RoadClass::Tertiary,
            "unclassified" => RoadClass::Unclassified,
            "residential" => RoadClass::Residential,
            "living_street" => RoadClass::LivingStreet,
            "service" => RoadClass::Service,
            "footway" | "path" | "pedestrian" | "track" | "steps" | "cycleway" => RoadClass::Path,
            "construction" => RoadClass::Construction,
            _ => RoadClass::Other,
        };
        (class, link)
    }

    /// Whether a delivery truck may drive it (tracks and footways are not; `road` of unknown type is
    /// taken as drivable, as OSM routers do).
    pub fn drivable(self) -> bool {
        !matches!(self, RoadClass::Path | RoadClass::Construction)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Motorway => "motorway",
            RoadClass::Trunk => "trunk",
            RoadClass::Primary => "primary",
            RoadClass::Secondary => "secondary",
            RoadClass::Tertiary => "tertiary",
            RoadClass::Unclassified => "unclassified",
            RoadClass::Residential => "residential",
            RoadClass::LivingStreet => "living_street",
            RoadClass::Service => "service",
            RoadClass::Path => "path",
            RoadClass::Construction => "construction",
            RoadClass::Other => "other",
        }
    }
}

/// Direction of travel allowed along the segment's point order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Oneway {
    Both,
    /// Only in the order of the points (`yes`, `true`, `1`).
    Forward,
    /// Only against the order of the points (`-1`, `reverse`).
    Backward,
}

impl Oneway {
    /// OSM `oneway` tag; empty, missing and `no` are two-way. Motorways are one-way by OSM's
    /// convention when the tag is absent, which the caller decides (see [`RoadSegment::oneway`]).
    fn parse(value: Option<&str>) -> Result<Option<Oneway>, String> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") => Ok(None),
            Some("no" | "false" | "0") => Ok(Some(Oneway::Both)),
            Some("yes" | "true" | "1") => Ok(Some(Oneway::Forward)),
            Some("-1" | "reverse") => Ok(Some(Oneway::Backward)),
            Some(other) => Err(format!("ONEWAY {other:?} is not yes, no or -1")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RoadSegment {
    pub class: RoadClass,
    /// `true` for `*_link` ramps.
    pub link: bool,
    /// Street name, when the source has one (trimmed, never empty).
    pub name: Option<String>,
    pub oneway: Oneway,
    pub lanes: Option<u8>,
    /// WGS84 lon/lat, at least two points.
    pub line: LineString<f64>,
}

/// Reads the road file. Fails on a file that is not GeoJSON, on a malformed feature (named by its
/// index) and on a file without a single road.
pub fn read_roads(path: &Path) -> Result<Vec<RoadSegment>, RoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| RoadError::Io(file.clone(), e))?;
    let fc: geojson::FeatureCollection = text
        .parse::<geojson::GeoJson>()
        .and_then(TryInto::try_into)
        .map_err(|e| RoadError::Format { file: file.clone(), reason: e.to_string() })?;
    let mut out = Vec::with_capacity(fc.features.len());
    for (index, f) in fc.features.iter().enumerate() {
        let err = |reason: String| RoadError::Feature { file: file.clone(), index, reason };
        let text_prop = |key: &str| f.property(key).and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty());
        let (class, link) = RoadClass::from_osm(text_prop("TYPE").unwrap_or("road"));
        let line = match f.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::Value::LineString(points)) => points
                .iter()
                .enumerate()
                .map(|(i, p)| match p.as_slice() {
                    [lon, lat, ..] if lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0 => {
                        Ok(Coord { x: *lon, y: *lat })
                    }
                    _ => Err(err(format!("point {i} is not a lon/lat pair"))),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(other) => return Err(err(format!("geometry is {}, expected LineString", other.type_name()))),
            None => return Err(err("no geometry".into())),
        };
        if line.len() < 2 {
            return Err(err(format!("a road needs at least 2 points, this one has {}", line.len())));
        }
        let tagged = Oneway::parse(text_prop("ONEWAY")).map_err(err)?;
        let oneway = tagged.unwrap_or(if class == RoadClass::Motorway && !link { Oneway::Forward } else { Oneway::Both });
        let lanes = f.property("LANES").and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())));
        out.push(RoadSegment {
            class,
            link,
            name: text_prop("NAME").map(str::to_string),
            oneway,
            lanes: lanes.and_then(|n| u8::try_from(n).ok()),
            line: LineString::new(line),
        });
    }
    if out.is_empty() {
        return Err(RoadError::Empty(file));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, body: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("sigap-roads-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let p = dir.join(name);
        std::fs::write(&p, body).ok();
        p
    }

    fn feature(props: &str, geom: &str) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{props},"geometry":{geom}}}]}}"#)
    }

    #[test]
    fn shipped_network_reads_whole() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/roads/jakarta_roads.geojson");
        let roads = read_roads(&p).expect("shipped roads");
        // SOURCE.md: 18,574 LineStrings, 125 motorway + 185 motorway_link, 14,854 residential.
        assert_eq!(roads.len(), 18_574);
        let count = |c: RoadClass, link: bool| roads.iter().filter(|r| r.class == c && r.link == link).count();
        assert_eq!(count(RoadClass::Motorway, false), 125);
        assert_eq!(count(RoadClass::Motorway, true), 185);
        assert_eq!(count(RoadClass::Residential, false), 14_854);
        assert!(roads.iter().all(|r| r.line.0.len() >= 2));
        assert!(roads.iter().any(|r| r.name.as_deref() == Some("Jakarta Merak") && r.oneway == Oneway::Forward));
    }

    #[test]
    fn tags_parse() {
        assert_eq!(RoadClass::from_osm("primary_link"), (RoadClass::Primary, true));
        assert_eq!(RoadClass::from_osm("footway"), (RoadClass::Path, false));
        assert_eq!(RoadClass::from_osm("busway"), (RoadClass::Other, false));
        assert!(!RoadClass::Path.drivable() && RoadClass::Other.drivable());
        assert_eq!(Oneway::parse(Some("-1")), Ok(Some(Oneway::Backward)));
        assert_eq!(Oneway::parse(Some(" ")), Ok(None));
        assert!(Oneway::parse(Some("sometimes")).is_err());
    }

    #[test]
    fn bad_files_are_refused_naming_the_feature() {
        let line = r#"{"type":"LineString","coordinates":[[106.8,-6.2],[106.81,-6.21]]}"#;
        let cases = [
            ("point.geojson", feature(r#"{"TYPE":"primary"}"#, r#"{"type":"Point","coordinates":[106.8,-6.2]}"#), "feature 0: geometry is Point"),
            ("short.geojson", feature(r#"{"TYPE":"primary"}"#, r#"{"type":"LineString","coordinates":[[106.8,-6.2]]}"#), "at least 2 points"),
            ("oneway.geojson", feature(r#"{"TYPE":"primary","ONEWAY":"maybe"}"#, line), "ONEWAY \"maybe\""),
            ("range.geojson", feature(r#"{"TYPE":"primary"}"#, r#"{"type":"LineString","coordinates":[[106.8,-6.2],[306.8,-6.2]]}"#), "point 1"),
            ("empty.geojson", r#"{"type":"FeatureCollection","features":[]}"#.to_string(), "no usable roads"),
            ("garbage.geojson", "not json".to_string(), "garbage.geojson"),
        ];
        for (name, body, want) in cases {
            let e = read_roads(&write(name, &body)).expect_err(name).to_string();
            assert!(e.contains(want), "{name}: {e}");
        }
        let ok = read_roads(&write("ok.geojson", &feature(r#"{"TYPE":"motorway","NAME":"  "}"#, line))).expect("ok");
        assert_eq!((ok[0].oneway, ok[0].name.as_deref()), (Oneway::Forward, None));
        let missing = read_roads(Path::new("/nonexistent/roads.geojson")).expect_err("missing").to_string();
        assert!(missing.contains("/nonexistent/roads.geojson"), "{missing}");
    }
}
