//! The pure part of OGC API – Features: features as plain values, the items query parsed and
//! checked once (each refusal names its parameter), selection and paging, and the GeoJSON
//! answers. No HTTP, no SQL: `http.rs` feeds it the collection's features and the query pairs.

use super::crs::Crs;
use chrono::{DateTime, Utc};
use geo::{BoundingRect, Geometry, Intersects, Rect};
use serde_json::{json, Map, Value};

/// Features per page when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 10;
/// Largest `limit` accepted (a larger one is a 400 naming `limit`): all 2,708 RW fit in one page,
/// and a page is built in memory, so the cap bounds one request's memory.
pub const MAX_LIMIT: usize = 10_000;

/// One feature of a collection, geometry in CRS84 (lon/lat).
#[derive(Debug, Clone)]
pub struct Feature {
    pub id: String,
    pub geometry: Option<Geometry<f64>>,
    /// Envelope of `geometry`, computed once: the cheap first test of a bbox query.
    pub bbox: Option<Rect<f64>>,
    pub properties: Map<String, Value>,
    /// The feature's GeoJSON in CRS84 (no links), serialised on first use: a page of features is
    /// then a concatenation, and a snapshot lives until its data changes.
    json84: std::sync::OnceLock<String>,
}

impl Feature {
    pub fn new(id: impl Into<String>, geometry: Option<Geometry<f64>>, properties: Map<String, Value>) -> Feature {
        let bbox = geometry.as_ref().and_then(|g| g.bounding_rect());
        Feature { id: id.into(), geometry, bbox, properties, json84: std::sync::OnceLock::new() }
    }

    /// Appends the feature's GeoJSON (no links) in `crs` to `out`.
    pub fn write_json(&self, crs: Crs, out: &mut String) {
        if crs == Crs::Crs84 {
            out.push_str(self.json84.get_or_init(|| feature_json(self, Crs::Crs84, "", false).to_string()));
        } else {
            out.push_str(&feature_json(self, crs, "", false).to_string());
        }
    }
}

/// The type of a queryable property (JSON Schema `type`, plus `format: date-time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    DateTime,
}

impl Kind {
    pub fn schema(self) -> Value {
        match self {
            Kind::String => json!({"type": "string"}),
            Kind::Integer => json!({"type": "integer"}),
            Kind::Number => json!({"type": "number"}),
            Kind::Boolean => json!({"type": "boolean"}),
            Kind::DateTime => json!({"type": "string", "format": "date-time"}),
        }
    }

    /// A query-string value as this kind, or why not.
    pub fn parse(self, raw: &str) -> Result<Value, String> {
        let v = raw.trim();
        match self {
            Kind::String => Ok(Value::String(raw.to_string())),
            Kind::Integer => v.parse::<i64>().map(Value::from).map_err(|_| format!("{raw:?} is not an integer")),
            Kind::Number => match v.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(json!(n)),
                _ => Err(format!("{raw:?} is not a finite number")),
            },
            Kind::Boolean => match v {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("{raw:?} is not true or false")),
            },
            Kind::DateTime => DateTime::parse_from_rfc3339(v).map(|t| Value::String(t.with_timezone(&Utc).to_rfc3339())).map_err(|_| format!("{raw:?} is not an RFC 3339 date-time")),
        }
    }
}

/// A property clients may filter on (`?name=value`, and CQL2 once Part 3 is served).
#[derive(Debug, Clone)]
pub struct Queryable {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
}

/// What a collection says about itself; fixed per collection (what changes — extent, whether
/// the data is generated — comes from its features).
#[derive(Debug, Clone)]
pub struct CollectionInfo {
    /// Path segment: `/ogc/collections/{id}`.
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// GeoJSON geometry type of every feature (`MultiPolygon`, `Point`).
    pub geometry_type: &'static str,
    pub queryables: Vec<Queryable>,
    /// The date-time property `datetime=` selects on; None: the collection has no time and
    /// `datetime` selects every feature.
    pub temporal: Option<&'static str>,
}

impl CollectionInfo {
    pub fn queryable(&self, name: &str) -> Option<&Queryable> {
        self.queryables.iter().find(|q| q.name == name)
    }
}

/// A refused request parameter: a 400 naming it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{param}: {detail}")]
pub struct ParamError {
    pub param: String,
    pub detail: String,
}

pub fn param_error(param: &str, detail: impl Into<String>) -> ParamError {
    ParamError { param: param.to_string(), detail: detail.into() }
}

/// A time interval; open ends are None.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Interval {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| t >= s) && self.end.is_none_or(|e| t <= e)
    }
}

/// `datetime`: an instant, or `start/end` with `..` (or nothing) for an open end.
pub fn parse_datetime(raw: &str) -> Result<Interval, ParamError> {
    let one = |s: &str| -> Result<Option<DateTime<Utc>>, ParamError> {
        let s = s.trim();
        if s.is_empty() || s == ".." {
            return Ok(None);
        }
        DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| param_error("datetime", format!("{s:?} is not an RFC 3339 date-time (e.g. 2026-11-27T00:00:00Z)")))
    };
    match raw.split_once('/') {
        None => {
            let t = one(raw)?.ok_or_else(|| param_error("datetime", "an instant must be a date-time, not `..`"))?;
            Ok(Interval { start: Some(t), end: Some(t) })
        }
        Some((a, b)) => {
            let i = Interval { start: one(a)?, end: one(b)? };
            if let (Some(s), Some(e)) = (i.start, i.end) {
                if s > e {
                    return Err(param_error("datetime", format!("interval {raw:?} ends before it starts")));
                }
            }
            Ok(i)
        }
    }
}

/// `bbox`: 4 finite numbers, min before max in each axis (6-number 3D boxes are refused: the
/// collections are 2D). The axis order is the one of `bbox-crs` (lat first for EPSG:4326).
pub fn parse_bbox(raw: &str) -> Result<[f64; 4], ParamError> {
    let parts: Vec<&str> = raw.split(',').collect();
    if parts.len() != 4 {
        return Err(param_error("bbox", format!("{raw:?} has {} numbers; give 4: minx,miny,maxx,maxy", parts.len())));
    }
    let mut b = [0.0; 4];
    for (i, p) in parts.iter().enumerate() {
        b[i] = match p.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => return Err(param_error("bbox", format!("{p:?} is not a finite number"))),
        };
    }
    if b[0] > b[2] || b[1] > b[3] {
        return Err(param_error("bbox", format!("{raw:?}: the lower corner must come first (min ≤ max on both axes)")));
    }
    Ok(b)
}

/// The checked query of `GET …/items`.
#[derive(Debug, Clone)]
pub struct ItemsQuery {
    pub limit: usize,
    pub offset: usize,
    /// In `bbox_crs` as given; `bbox84` is the same box in CRS84, for selection.
    pub bbox: Option<[f64; 4]>,
    pub bbox84: Option<Rect<f64>>,
    pub bbox_crs: Crs,
    /// Output CRS.
    pub crs: Crs,
    pub datetime: Option<Interval>,
    /// `property=value` filters on queryables, values typed by the queryable.
    pub props: Vec<(String, Value)>,
    /// `filter` (CQL2), checked against the queryables; geometry literals already in CRS84.
    pub filter: Option<super::cql2::Expr>,
    /// The pairs that shape the result (everything but `offset`), kept to build paging links.
    pub keep: Vec<(String, String)>,
}

/// Parameters of `…/items` besides the queryables.
pub const ITEMS_PARAMS: &[&str] = &["f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang", "filter-crs"];

/// Parses the query of `…/items`. An unknown parameter is a 400 (OGC API – Features 1,
/// `/req/core/query-param-unknown`), so a typo never silently returns everything.
pub fn parse_items(pairs: &[(String, String)], info: &CollectionInfo) -> Result<ItemsQuery, ParamError> {
    let mut seen: Vec<&str> = Vec::new();
    for (k, _) in pairs {
        if seen.contains(&k.as_str()) {
            return Err(param_error(k, format!("{k} is given more than once")));
        }
        seen.push(k);
    }
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let limit = match get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as usize,
            Ok(n) => return Err(param_error("limit", format!("limit={n}: must be 1..{MAX_LIMIT}"))),
            Err(_) => return Err(param_error("limit", format!("limit={v:?} is not an integer (1..{MAX_LIMIT})"))),
        },
    };
    let offset = match get("offset") {
        None => 0,
        Some(v) => v.trim().parse::<usize>().map_err(|_| param_error("offset", format!("offset={v:?} must be a whole number ≥ 0")))?,
    };
    let crs = match get("crs") {
        None => Crs::Crs84,
        Some(v) => Crs::parse(v).ok_or_else(|| param_error("crs", format!("unknown crs {v:?}; offered: {}", Crs::list())))?,
    };
    let bbox_crs = match get("bbox-crs") {
        None => Crs::Crs84,
        Some(v) => Crs::parse(v).ok_or_else(|| param_error("bbox-crs", format!("unknown bbox-crs {v:?}; offered: {}", Crs::list())))?,
    };
    let bbox = get("bbox").map(parse_bbox).transpose()?;
    if get("bbox-crs").is_some() && bbox.is_none() {
        return Err(param_error("bbox-crs", "bbox-crs needs a bbox"));
    }
    let bbox84 = bbox.map(|b| bbox_crs.bbox_to_crs84(b)).transpose().map_err(|e| param_error("bbox", e))?;
    let datetime = get("datetime").map(parse_datetime).transpose()?;
    let lang = match get("filter-lang") {
        None => super::cql2::Lang::Text,
        Some(v) => super::cql2::Lang::parse(v).ok_or_else(|| param_error("filter-lang", format!("filter-lang={v:?}: use cql2-text or cql2-json")))?,
    };
    let filter_crs = match get("filter-crs") {
        None => Crs::Crs84,
        Some(v) => Crs::parse(v).ok_or_else(|| param_error("filter-crs", format!("unknown filter-crs {v:?}; offered: {}", Crs::list())))?,
    };
    for p in ["filter-lang", "filter-crs"] {
        if get(p).is_some() && get("filter").is_none() {
            return Err(param_error(p, format!("{p} needs a filter")));
        }
    }
    let filter = get("filter").map(|f| super::cql2::parse(f, lang, filter_crs, info)).transpose().map_err(|e| param_error("filter", e))?;
    let mut props = Vec::new();
    for (k, v) in pairs {
        if ITEMS_PARAMS.contains(&k.as_str()) {
            continue;
        }
        let q = info.queryable(k).ok_or_else(|| {
            let names: Vec<&str> = info.queryables.iter().map(|q| q.name).collect();
            param_error(k, format!("unknown parameter {k:?}; the parameters are {} and the queryables {}", ITEMS_PARAMS.join(", "), names.join(", ")))
        })?;
        props.push((k.clone(), q.kind.parse(v).map_err(|e| param_error(k, e))?));
    }
    let keep = pairs.iter().filter(|(k, _)| k != "offset").cloned().collect();
    Ok(ItemsQuery { limit, offset, bbox, bbox84, bbox_crs, crs, datetime, props, filter, keep })
}

/// True when a stored property equals a filter value (numbers compared as numbers).
fn same(stored: Option<&Value>, want: &Value) -> bool {
    match (stored, want) {
        (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(Value::String(a)), Value::String(b)) => {
            // Date-times compare as instants, whatever offset they were written with.
            match (DateTime::parse_from_rfc3339(a), DateTime::parse_from_rfc3339(b)) {
                (Ok(x), Ok(y)) => x == y,
                _ => a == b,
            }
        }
        (Some(a), b) => a == b,
        (None, _) => false,
    }
}

/// Whether a feature passes the query's bbox, datetime and property filters.
pub fn matches(f: &Feature, q: &ItemsQuery, info: &CollectionInfo) -> bool {
    if let Some(b) = &q.bbox84 {
        // The envelope first (cheap), then the exact test, as PostGIS `ST_Intersects` does.
        let hit = f.bbox.is_some_and(|e| e.intersects(b)) && f.geometry.as_ref().is_some_and(|g| g.intersects(b));
        if !hit {
            return false;
        }
    }
    if let (Some(i), Some(prop)) = (&q.datetime, info.temporal) {
        let t = f.properties.get(prop).and_then(Value::as_str).and_then(|s| DateTime::parse_from_rfc3339(s).ok());
        if !t.is_some_and(|t| i.contains(t.with_timezone(&Utc))) {
            return false;
        }
    }
    q.props.iter().all(|(k, v)| same(f.properties.get(k), v)) && q.filter.as_ref().is_none_or(|e| super::cql2::eval(e, f, info))
}

/// One page: the features from `offset`, at most `limit`, and how many matched in all.
pub fn select<'a>(features: &'a [Feature], q: &ItemsQuery, info: &CollectionInfo) -> (usize, Vec<&'a Feature>) {
    let mut matched = 0;
    let mut page = Vec::with_capacity(q.limit.min(features.len()));
    for f in features.iter().filter(|f| matches(f, q, info)) {
        if matched >= q.offset && page.len() < q.limit {
            page.push(f);
        }
        matched += 1;
    }
    (matched, page)
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `base?k=v&…` from pairs.
pub fn with_query(base: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return base.to_string();
    }
    let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    format!("{base}?{}", q.join("&"))
}

/// A link object.
pub fn link(href: impl Into<String>, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href.into(), "rel": rel, "type": kind, "title": title})
}

pub const GEOJSON: &str = "application/geo+json";
pub const HTML: &str = "text/html";

/// The query pairs for another format of the same resource (`f` replaced).
pub fn with_format(pairs: &[(String, String)], f: &str) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "f").cloned().collect();
    p.push(("f".into(), f.into()));
    p
}

/// The self/alternate/next/prev links of an items page.
pub fn page_links(items_url: &str, q: &ItemsQuery, matched: usize, returned: usize) -> Vec<Value> {
    let at = |offset: usize, f: Option<&str>| {
        let mut pairs: Vec<(String, String)> = q.keep.iter().filter(|(k, _)| k != "f").cloned().collect();
        if offset > 0 {
            pairs.push(("offset".into(), offset.to_string()));
        }
        if let Some(f) = f {
            pairs.push(("f".into(), f.into()));
        }
        with_query(items_url, &pairs)
    };
    let mut links = vec![
        link(at(q.offset, Some("json")), "self", GEOJSON, "this page"),
        link(at(q.offset, Some("html")), "alternate", HTML, "this page as HTML"),
    ];
    if q.offset + returned < matched {
        links.push(link(at(q.offset + returned.max(1), Some("json")), "next", GEOJSON, "next page"));
    }
    if q.offset > 0 {
        links.push(link(at(q.offset.saturating_sub(q.limit), Some("json")), "prev", GEOJSON, "previous page"));
    }
    links
}

/// A feature as GeoJSON in `crs` (axis order of that CRS: lat first for EPSG:4326), with its
/// links (`items_url` is its collection's items URL).
pub fn feature_json(f: &Feature, crs: Crs, items_url: &str, with_links: bool) -> Value {
    let geometry = match &f.geometry {
        None => Value::Null,
        Some(g) => match crs.from_crs84(g) {
            Ok(g) => serde_json::to_value(geojson::Geometry::from(&g)).unwrap_or(Value::Null),
            Err(_) => Value::Null,
        },
    };
    let mut v = json!({"type": "Feature", "id": f.id, "geometry": geometry, "properties": f.properties});
    if with_links {
        let me = format!("{items_url}/{}", encode(&f.id));
        let coll = items_url.trim_end_matches("/items");
        v["links"] = json!([
            link(format!("{me}?f=json"), "self", GEOJSON, "this feature"),
            link(format!("{me}?f=html"), "alternate", HTML, "this feature as HTML"),
            link(format!("{coll}?f=json"), "collection", "application/json", "the collection"),
        ]);
    }
    v
}

/// The bounding box of all features, CRS84.
pub fn extent(features: &[Feature]) -> Option<Rect<f64>> {
    features.iter().filter_map(|f| f.bbox).reduce(|a, b| {
        Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    })
}

/// A Feature sent for create/replace (OGC API – Features Part 4), geometry already in CRS84.
#[derive(Debug, Clone)]
pub struct FeatureBody {
    pub id: Option<String>,
    pub geometry: Option<Geometry<f64>>,
    pub properties: Map<String, Value>,
}

/// Reads a request body that must be a GeoJSON Feature, its coordinates in `crs` (the request's
/// `Content-Crs`). Refusals name the part: `type`, `geometry`, `properties`, `id`.
pub fn parse_feature_body(v: &Value, crs: Crs) -> Result<FeatureBody, ParamError> {
    let kind = v.get("type").and_then(Value::as_str);
    if kind != Some("Feature") {
        let got = kind.map_or_else(|| if v.is_object() { "an object without type".to_string() } else { format!("{v:.40}") }, |k| format!("a {k}"));
        return Err(param_error("type", format!("the body must be a GeoJSON Feature (\"type\": \"Feature\"), got {got}")));
    }
    let geometry = match v.get("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => {
            let g: geojson::Geometry = serde_json::from_value(g.clone()).map_err(|e| param_error("geometry", format!("not a GeoJSON geometry: {e}")))?;
            let g: Geometry<f64> = g.try_into().map_err(|e: geojson::Error| param_error("geometry", format!("unreadable geometry: {e}")))?;
            Some(crs.to_crs84(&g).map_err(|e| param_error("geometry", e))?)
        }
    };
    let properties = match v.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(param_error("properties", "properties must be an object")),
    };
    let id = match v.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(param_error("id", "id must be a string or a number")),
    };
    Ok(FeatureBody { id, geometry, properties })
}

/// JSON Merge Patch (RFC 7386): `patch` applied to `target`; null removes a member.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// A strong entity tag (quoted) from the bytes that make a version: SHA-256, 128 bits shown.
pub fn etag_of(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let d = h.finalize();
    format!("\"{}\"", d[..16].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use geo::{point, polygon};

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
        let mut t = json!({"a": [1]});
        merge_patch(&mut t, &json!({"a": [2, 3], "b": {"c": 1}}));
        assert_eq!(t, json!({"a": [2, 3], "b": {"c": 1}}));
    }

    #[test]
    fn feature_bodies_are_checked() {
        let ok = parse_feature_body(&json!({"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [-6.2, 106.8]}, "properties": {"nama": "x"}}), Crs::Epsg4326).unwrap();
        assert_eq!(ok.id.as_deref(), Some("7"));
        assert_eq!(ok.geometry, Some(Geometry::Point(point!(x: 106.8, y: -6.2))), "EPSG:4326 lat/lon read into lon/lat");
        for (v, part) in [
            (json!({"type": "FeatureCollection", "features": []}), "type"),
            (json!({"geometry": null}), "type"),
            (json!([1, 2]), "type"),
            (json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": 5}}), "geometry"),
            (json!({"type": "Feature", "properties": [1]}), "properties"),
            (json!({"type": "Feature", "id": {"x": 1}}), "id"),
        ] {
            assert_eq!(parse_feature_body(&v, Crs::Crs84).unwrap_err().param, part, "{v}");
        }
        assert_ne!(etag_of(&[b"a", b"bc"]), etag_of(&[b"ab", b"c"]));
    }

    /// A collection with one queryable of each kind (shared with the CQL2 tests).
    pub(crate) fn info() -> CollectionInfo {
        CollectionInfo {
            id: "t",
            title: "T",
            description: "",
            geometry_type: "Polygon",
            queryables: vec![
                Queryable { name: "nama", kind: Kind::String, description: "" },
                Queryable { name: "n", kind: Kind::Integer, description: "" },
                Queryable { name: "ok", kind: Kind::Boolean, description: "" },
                Queryable { name: "at", kind: Kind::DateTime, description: "" },
                Queryable { name: "p", kind: Kind::Number, description: "" },
            ],
            temporal: Some("at"),
        }
    }

    fn pairs(s: &str) -> Vec<(String, String)> {
        s.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or((p.to_string(), String::new()))).collect()
    }

    fn features() -> Vec<Feature> {
        (0..25)
            .map(|i| {
                let x = 106.7 + i as f64 * 0.01;
                let g = Geometry::Polygon(polygon![(x: x, y: -6.2), (x: x + 0.005, y: -6.2), (x: x + 0.005, y: -6.195), (x: x, y: -6.2)]);
                let mut p = Map::new();
                p.insert("nama".into(), json!(format!("F{}", i % 5)));
                p.insert("n".into(), json!(i));
                p.insert("at".into(), json!(format!("2026-11-{:02}T00:00:00Z", i + 1)));
                Feature::new(format!("f{i}"), Some(g), p)
            })
            .collect()
    }

    #[test]
    fn pages_cover_every_feature_once() {
        let fs = features();
        let mut seen = Vec::new();
        let mut offset = 0;
        loop {
            let q = parse_items(&pairs(&format!("limit=7&offset={offset}")), &info()).unwrap();
            let (matched, page) = select(&fs, &q, &info());
            assert_eq!(matched, 25);
            seen.extend(page.iter().map(|f| f.id.clone()));
            let links = page_links("http://h/ogc/collections/t/items", &q, matched, page.len());
            match links.iter().find(|l| l["rel"] == "next") {
                Some(n) => offset = n["href"].as_str().unwrap().split("offset=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap(),
                None => break,
            }
            assert!(links.iter().any(|l| l["rel"] == "prev") == (q.offset > 0));
        }
        let want: Vec<String> = (0..25).map(|i| format!("f{i}")).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn bbox_props_and_datetime_select() {
        let fs = features();
        let q = parse_items(&pairs("bbox=106.70,-6.21,106.725,-6.19&limit=100"), &info()).unwrap();
        let (m, page) = select(&fs, &q, &info());
        assert_eq!(m, 3, "{:?}", page.iter().map(|f| &f.id).collect::<Vec<_>>());
        let q = parse_items(&pairs("nama=F1"), &info()).unwrap();
        assert_eq!(select(&fs, &q, &info()).0, 5);
        let q = parse_items(&pairs("n=3"), &info()).unwrap();
        assert_eq!(select(&fs, &q, &info()).1[0].id, "f3");
        let q = parse_items(&pairs("datetime=2026-11-03T00:00:00Z/..&limit=100"), &info()).unwrap();
        assert_eq!(select(&fs, &q, &info()).0, 23);
        let q = parse_items(&pairs("datetime=../2026-11-02T00:00:00Z"), &info()).unwrap();
        assert_eq!(select(&fs, &q, &info()).0, 2);
    }

    #[test]
    fn bad_parameters_are_named() {
        for (s, param) in [
            ("limit=0", "limit"),
            ("limit=-1", "limit"),
            ("limit=10001", "limit"),
            ("limit=abc", "limit"),
            ("offset=-3", "offset"),
            ("bbox=1,2,3", "bbox"),
            ("bbox=106.9,-6.2,106.8,-6.1", "bbox"),
            ("bbox=NaN,-6.2,106.8,-6.1", "bbox"),
            ("bbox=106.7,-6.2,106.8,inf", "bbox"),
            ("crs=EPSG:9999", "crs"),
            ("bbox-crs=EPSG:4326", "bbox-crs"),
            ("datetime=yesterday", "datetime"),
            ("datetime=2026-12-01T00:00:00Z/2026-11-01T00:00:00Z", "datetime"),
            ("n=seven", "n"),
            ("colour=red", "colour"),
            ("limit=5&limit=6", "limit"),
        ] {
            let e = parse_items(&pairs(s), &info()).unwrap_err();
            assert_eq!(e.param, param, "{s}: {e}");
        }
        assert_eq!(parse_items(&pairs("limit=10000"), &info()).unwrap().limit, MAX_LIMIT);
    }

    #[test]
    fn feature_json_has_links_and_geometry() {
        let f = Feature::new("31.71", Some(Geometry::Point(point!(x: 106.8, y: -6.2))), Map::new());
        let v = feature_json(&f, Crs::Crs84, "http://h/ogc/collections/kota/items", true);
        assert_eq!(v["geometry"]["coordinates"], json!([106.8, -6.2]));
        assert_eq!(v["links"][0]["href"], "http://h/ogc/collections/kota/items/31.71?f=json");
        assert_eq!(v["links"][2]["href"], "http://h/ogc/collections/kota?f=json");
    }
}
