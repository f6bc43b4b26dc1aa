//! CQL2 filters (OGC API – Features Part 3): Basic CQL2 (AND, OR, NOT, `=`, `<>`, `<`, `>`,
//! `<=`, `>=`, `IS [NOT] NULL`, boolean literals) in the text and the JSON encoding, plus the
//! spatial functions `S_INTERSECTS`, `S_WITHIN`, `S_CONTAINS`, `S_DISJOINT` with WKT / GeoJSON /
//! `BBOX(…)` literals, parsed into one small tree, checked against the collection's queryables
//! (types included) and evaluated in memory on the features.
//!
//! Parsing is the `cql2` crate's (its pest grammar for text, its serde types for JSON), as
//! the issue asks; sigap keeps what it serves: the tree below, its checks and messages (400
//! naming the operator sigap does not serve, the property that is not queryable, …) and the
//! evaluation. `cql2` is a vendored copy of the released 0.6.0 (`vendor/cql2`, patched in
//! `Cargo.toml`): as released it needs geozero 0.14 (a second geozero and `wkt`), serde_json's
//! `preserve_order` and jsonschema (a third `getrandom`); the copy changes only its Cargo.toml
//! and cfg-gates the schema validator sigap does not call (`vendor/cql2/SIGAP.md`; numbers in
//! `src/ogc/README.md`).

use super::crs::Crs;
use super::model::{CollectionInfo, Feature, Kind};
use chrono::{DateTime, NaiveDate, Utc};
use geo::{Geometry, Intersects, Relate};
use serde_json::Value;
use std::cmp::Ordering;
use std::str::FromStr;

/// The name filters use for a feature's geometry.
pub const GEOMETRY: &str = "geometry";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spatial {
    Intersects,
    /// The feature's geometry lies within the literal.
    Within,
    /// The feature's geometry contains the literal.
    Contains,
    Disjoint,
}

/// A literal or a property.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Prop(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Time(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp(Cmp, Scalar, Scalar),
    IsNull(String),
    /// A spatial test of the feature's geometry against a literal (CRS84).
    Spatial(Spatial, Geometry<f64>),
    Bool(bool),
}

/// Which encoding `filter` is in (`filter-lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Text,
    Json,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "cql2-text" => Some(Lang::Text),
            "cql2-json" => Some(Lang::Json),
            _ => None,
        }
    }
}

/// Parses a filter and checks it against the collection: every property must be a queryable
/// (or `geometry`), compared with a value of its type; geometry literals are in `crs`.
pub fn parse(src: &str, lang: Lang, crs: Crs, info: &CollectionInfo) -> Result<Expr, String> {
    let e = condition(read(src, lang)?)?;
    let e = to_crs84(e, crs)?;
    check(&e, info)?;
    Ok(e)
}

fn to_crs84(e: Expr, crs: Crs) -> Result<Expr, String> {
    Ok(match e {
        Expr::And(v) => Expr::And(v.into_iter().map(|x| to_crs84(x, crs)).collect::<Result<_, _>>()?),
        Expr::Or(v) => Expr::Or(v.into_iter().map(|x| to_crs84(x, crs)).collect::<Result<_, _>>()?),
        Expr::Not(x) => Expr::Not(Box::new(to_crs84(*x, crs)?)),
        Expr::Spatial(op, g) => Expr::Spatial(op, crs.to_crs84(&g)?),
        other => other,
    })
}

fn kind_of(s: &Scalar, info: &CollectionInfo) -> Result<Option<Kind>, String> {
    Ok(match s {
        Scalar::Prop(p) => match info.queryable(p) {
            Some(q) => Some(q.kind),
            None => {
                let names: Vec<&str> = info.queryables.iter().map(|q| q.name).collect();
                return Err(format!("property {p:?} is not queryable; the queryables are {}, {GEOMETRY}", names.join(", ")));
            }
        },
        Scalar::Str(_) => Some(Kind::String),
        Scalar::Num(_) => Some(Kind::Number),
        Scalar::Bool(_) => Some(Kind::Boolean),
        Scalar::Time(_) => Some(Kind::DateTime),
    })
}

fn family(k: Kind) -> &'static str {
    match k {
        Kind::Integer | Kind::Number => "a number",
        Kind::String => "a string",
        Kind::Boolean => "a boolean",
        Kind::DateTime => "a timestamp",
    }
}

fn check(e: &Expr, info: &CollectionInfo) -> Result<(), String> {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().try_for_each(|x| check(x, info)),
        Expr::Not(x) => check(x, info),
        Expr::IsNull(p) => kind_of(&Scalar::Prop(p.clone()), info).map(|_| ()),
        Expr::Spatial(..) | Expr::Bool(_) => Ok(()),
        Expr::Cmp(op, a, b) => {
            let (ka, kb) = (kind_of(a, info)?, kind_of(b, info)?);
            if let (Some(ka), Some(kb)) = (ka, kb) {
                // A date-time property compared with a string literal that is a date-time is fine.
                let time_text = |k: Kind, s: &Scalar| k == Kind::DateTime && matches!(s, Scalar::Str(t) if parse_time(t).is_ok());
                if family(ka) != family(kb) && !time_text(ka, b) && !time_text(kb, a) {
                    return Err(format!("{} is {} but {} is {}", show(a), family(ka), show(b), family(kb)));
                }
                if ka == Kind::Boolean && !matches!(op, Cmp::Eq | Cmp::Ne) {
                    return Err(format!("booleans ({}) compare only with = and <>", show(a)));
                }
            }
            Ok(())
        }
    }
}

fn show(s: &Scalar) -> String {
    match s {
        Scalar::Prop(p) => p.clone(),
        Scalar::Str(v) => format!("'{v}'"),
        Scalar::Num(n) => n.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Time(t) => format!("TIMESTAMP('{}')", t.to_rfc3339()),
    }
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{s:?} is not an RFC 3339 timestamp or a date"))
}

/// Evaluates the filter on a feature. A comparison with a missing or null property is false
/// (SQL's unknown, as CQL2 says).
pub fn eval(e: &Expr, f: &Feature, info: &CollectionInfo) -> bool {
    match e {
        Expr::And(v) => v.iter().all(|x| eval(x, f, info)),
        Expr::Or(v) => v.iter().any(|x| eval(x, f, info)),
        Expr::Not(x) => !eval(x, f, info),
        Expr::Bool(b) => *b,
        Expr::IsNull(p) => f.properties.get(p).is_none_or(Value::is_null),
        Expr::Cmp(op, a, b) => match (value(a, f, info), value(b, f, info)) {
            (Some(x), Some(y)) => compare(&x, &y).is_some_and(|o| match op {
                Cmp::Eq => o == Ordering::Equal,
                Cmp::Ne => o != Ordering::Equal,
                Cmp::Lt => o == Ordering::Less,
                Cmp::Gt => o == Ordering::Greater,
                Cmp::Le => o != Ordering::Greater,
                Cmp::Ge => o != Ordering::Less,
            }),
            _ => false,
        },
        Expr::Spatial(op, lit) => {
            let Some(g) = &f.geometry else { return false };
            match op {
                Spatial::Intersects => g.intersects(lit),
                Spatial::Disjoint => !g.intersects(lit),
                Spatial::Within => g.relate(lit).is_within(),
                Spatial::Contains => g.relate(lit).is_contains(),
            }
        }
    }
}

/// A value at evaluation: properties resolved and typed by their queryable.
fn value(s: &Scalar, f: &Feature, info: &CollectionInfo) -> Option<Scalar> {
    match s {
        Scalar::Prop(p) => {
            let v = f.properties.get(p)?;
            match (info.queryable(p).map(|q| q.kind), v) {
                (Some(Kind::DateTime), Value::String(t)) => parse_time(t).ok().map(Scalar::Time),
                (_, Value::String(t)) => Some(Scalar::Str(t.clone())),
                (_, Value::Number(n)) => n.as_f64().map(Scalar::Num),
                (_, Value::Bool(b)) => Some(Scalar::Bool(*b)),
                _ => None,
            }
        }
        other => Some(other.clone()),
    }
}

fn compare(a: &Scalar, b: &Scalar) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Num(x), Scalar::Num(y)) => x.partial_cmp(y),
        (Scalar::Str(x), Scalar::Str(y)) => Some(x.cmp(y)),
        (Scalar::Bool(x), Scalar::Bool(y)) => Some(x.cmp(y)),
        (Scalar::Time(x), Scalar::Time(y)) => Some(x.cmp(y)),
        (Scalar::Time(x), Scalar::Str(y)) => parse_time(y).ok().map(|y| x.cmp(&y)),
        (Scalar::Str(x), Scalar::Time(y)) => parse_time(x).ok().map(|x| x.cmp(y)),
        _ => None,
    }
}

// ---- from the cql2 crate's tree ----

/// Reads the filter with the `cql2` crate (text: its pest grammar; JSON: its serde types). A
/// syntax error is reported with cql2's position and expectation; everything after parsing
/// (which operators sigap serves, literal checks) is sigap's.
fn read(src: &str, lang: Lang) -> Result<cql2::Expr, String> {
    match lang {
        Lang::Text => {
            if src.trim().is_empty() {
                return Err("the filter is empty".into());
            }
            cql2::parse_text(src).map_err(|e| match e {
                // pest's message is several lines (a caret drawing); keep the place and the expectation.
                cql2::Error::Pest(p) => {
                    let shown = p.to_string();
                    let at = shown.lines().next().unwrap_or("").trim().trim_start_matches("--> ").to_string();
                    format!("not CQL2 text at {at}: {}", p.variant.message())
                }
                other => format!("not CQL2 text: {other}"),
            })
        }
        Lang::Json => {
            // Checked as JSON first so that a truncated body says "not JSON" rather than naming a
            // CQL2 shape it did not match.
            serde_json::from_str::<Value>(src).map_err(|e| format!("not JSON: {e}"))?;
            cql2::parse_json(src).map_err(|e| format!("not CQL2 JSON: {e}"))
        }
    }
}

fn shown(e: &cql2::Expr) -> String {
    e.to_text().unwrap_or_else(|_| format!("{e:?}"))
}

/// The condition sigap serves from cql2's general tree: Basic CQL2 plus four spatial functions.
fn condition(e: cql2::Expr) -> Result<Expr, String> {
    use cql2::Expr as C;
    let (op, args) = match e {
        C::Bool(b) => return Ok(Expr::Bool(b)),
        C::Operation { op, args } => (op, args.into_iter().map(|a| *a).collect::<Vec<_>>()),
        other => return Err(format!("{}: expected a condition (a comparison, IS NULL, a spatial function, AND, OR, NOT or a boolean)", shown(&other))),
    };
    let n = |want: usize| if args.len() == want { Ok(()) } else { Err(format!("{op} takes {want} argument(s), got {}", args.len())) };
    let cmp = match op.as_str() {
        "=" => Some(Cmp::Eq),
        "<>" => Some(Cmp::Ne),
        "<" => Some(Cmp::Lt),
        ">" => Some(Cmp::Gt),
        "<=" => Some(Cmp::Le),
        ">=" => Some(Cmp::Ge),
        _ => None,
    };
    if let Some(c) = cmp {
        n(2)?;
        let mut it = args.into_iter();
        let (a, b) = (it.next(), it.next());
        return Ok(Expr::Cmp(c, scalar(a)?, scalar(b)?));
    }
    let spatial = match op.to_ascii_lowercase().as_str() {
        "s_intersects" => Some(Spatial::Intersects),
        "s_within" => Some(Spatial::Within),
        "s_contains" => Some(Spatial::Contains),
        "s_disjoint" => Some(Spatial::Disjoint),
        _ => None,
    };
    if let Some(s) = spatial {
        n(2)?;
        let mut it = args.into_iter();
        let (a, b) = (it.next(), it.next());
        return spatial_expr(s, spatial_arg(a)?, spatial_arg(b)?);
    }
    let lower = op.to_ascii_lowercase();
    match lower.as_str() {
        "and" | "or" => {
            if args.len() < 2 {
                return Err(format!("{op} takes at least 2 arguments"));
            }
            let v = args.into_iter().map(condition).collect::<Result<Vec<_>, _>>()?;
            Ok(if lower == "and" { Expr::And(v) } else { Expr::Or(v) })
        }
        "not" => {
            n(1)?;
            Ok(Expr::Not(Box::new(condition(args.into_iter().next().unwrap_or(C::Null))?)))
        }
        "isnull" => {
            n(1)?;
            match scalar(args.into_iter().next())? {
                Scalar::Prop(p) => Ok(Expr::IsNull(p)),
                _ => Err("IS NULL needs a property".into()),
            }
        }
        "like" | "between" | "in" | "casei" | "accenti" => Err(format!("{op} is an advanced comparison operator, not served (Basic CQL2 only)")),
        o if o.starts_with("s_") || o.starts_with("t_") || o.starts_with("a_") => {
            Err(format!("{} is not supported; the spatial functions are S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT", op.to_ascii_uppercase()))
        }
        _ => Err(format!("unknown op {op:?}")),
    }
}

fn scalar(e: Option<cql2::Expr>) -> Result<Scalar, String> {
    use cql2::Expr as C;
    let e = e.ok_or("expected a property or a value")?;
    Ok(match e {
        C::Property { property } => Scalar::Prop(property),
        C::Literal(s) => Scalar::Str(s),
        C::Float(n) if n.is_finite() => Scalar::Num(n),
        C::Bool(b) => Scalar::Bool(b),
        C::Timestamp { timestamp: t } | C::Date { date: t } => match *t {
            C::Literal(s) => Scalar::Time(parse_time(&s)?),
            other => return Err(format!("{}: expected a quoted timestamp or date", shown(&other))),
        },
        other => return Err(format!("expected a property or a value, got {}", shown(&other))),
    })
}

/// A geometry literal from cql2 (WKT text, GeoJSON, `BBOX`), read into geo types.
fn spatial_arg(e: Option<cql2::Expr>) -> Result<SpatialArg, String> {
    use cql2::Expr as C;
    match e {
        Some(C::Property { property }) => Ok(SpatialArg::Prop(property)),
        Some(C::Geometry(cql2::Geometry::Wkt(text))) => {
            let w = wkt::Wkt::<f64>::from_str(&text).map_err(|e| format!("{text}: not valid WKT ({e})"))?;
            Geometry::try_from(w).map(SpatialArg::Literal).map_err(|e| format!("{text}: {e}"))
        }
        Some(C::Geometry(cql2::Geometry::GeoJSON(g))) => Geometry::try_from(g).map(SpatialArg::Literal).map_err(|e| format!("GeoJSON geometry: {e}")),
        Some(C::BBox { bbox: b }) => {
            let n: Vec<f64> = b.into_iter().map(|x| if let C::Float(v) = *x { Ok(v) } else { Err("BBOX takes numbers") }).collect::<Result<_, _>>()?;
            bbox(&n).map(SpatialArg::Literal)
        }
        other => Err(format!(
            "{}: neither the geometry property nor a geometry literal (valid WKT, GeoJSON or BBOX)",
            other.as_ref().map(shown).unwrap_or_default()
        )),
    }
}

fn bbox(n: &[f64]) -> Result<Geometry<f64>, String> {
    if n.len() != 4 || n.iter().any(|x| !x.is_finite()) || n[0] > n[2] || n[1] > n[3] {
        return Err(format!("BBOX {n:?}: give 4 finite numbers, min before max"));
    }
    Ok(Geometry::Rect(geo::Rect::new(geo::coord! {x: n[0], y: n[1]}, geo::coord! {x: n[2], y: n[3]})))
}

enum SpatialArg {
    Prop(String),
    Literal(Geometry<f64>),
}

/// `S_X(geometry, literal)`, or with the arguments the other way round (then within and
/// contains swap roles).
fn spatial_expr(op: Spatial, a: SpatialArg, b: SpatialArg) -> Result<Expr, String> {
    let prop_ok = |p: &str| {
        if p == GEOMETRY {
            Ok(())
        } else {
            Err(format!("{p:?} is not a geometry property; spatial functions take `{GEOMETRY}`"))
        }
    };
    match (a, b) {
        (SpatialArg::Prop(p), SpatialArg::Literal(g)) => prop_ok(&p).map(|_| Expr::Spatial(op, g)),
        (SpatialArg::Literal(g), SpatialArg::Prop(p)) => {
            prop_ok(&p)?;
            let op = match op {
                Spatial::Within => Spatial::Contains,
                Spatial::Contains => Spatial::Within,
                o => o,
            };
            Ok(Expr::Spatial(op, g))
        }
        _ => Err("a spatial function compares the geometry property with one geometry literal".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ogc::model::tests::info;
    use geo::polygon;
    use serde_json::{json, Map};

    fn feature(nama: &str, n: i64, x: f64) -> Feature {
        let mut p = Map::new();
        p.insert("nama".into(), json!(nama));
        p.insert("n".into(), json!(n));
        p.insert("ok".into(), json!(n % 2 == 0));
        p.insert("at".into(), json!(format!("2026-11-{:02}T00:00:00Z", n)));
        p.insert("p".into(), Value::Null);
        Feature::new(nama, Some(Geometry::Polygon(polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0)])), p)
    }

    fn run(src: &str, lang: Lang) -> Result<Vec<String>, String> {
        let fs = [feature("A", 1, 0.0), feature("B", 2, 2.0), feature("C", 3, 4.0)];
        let e = parse(src, lang, Crs::Crs84, &info())?;
        Ok(fs.iter().filter(|f| eval(&e, f, &info())).map(|f| f.id.clone()).collect())
    }

    #[test]
    fn text_filters() {
        let t = |s| run(s, Lang::Text).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(t("nama = 'B'"), ["B"]);
        assert_eq!(t("n >= 2 AND NOT ok = true"), ["C"]);
        assert_eq!(t("n < 2 OR nama <> 'B' AND n > 2"), ["A", "C"], "AND binds tighter than OR");
        assert_eq!(t("(n < 2 OR nama <> 'B') AND n > 2"), ["C"]);
        assert_eq!(t("ok = true"), ["B"]);
        assert_eq!(t("p IS NULL AND \"nama\" IS NOT NULL"), ["A", "B", "C"]);
        assert_eq!(t("at > TIMESTAMP('2026-11-01T12:00:00Z')"), ["B", "C"]);
        assert_eq!(t("at <= DATE('2026-11-02')"), ["A", "B"]);
        assert_eq!(t("S_INTERSECTS(geometry, POINT(2.5 0.5))"), ["B"]);
        assert_eq!(t("s_intersects(geometry, BBOX(0.5, 0.2, 2.1, 0.4))"), ["A", "B"]);
        assert_eq!(t("S_WITHIN(geometry, POLYGON((-1 -1, 3.5 -1, 3.5 2, -1 2, -1 -1)))"), ["A", "B"]);
        assert_eq!(t("S_CONTAINS(geometry, POINT(4.5 0.5))"), ["C"]);
        assert_eq!(t("S_WITHIN(POINT(4.5 0.5), geometry)"), ["C"], "literal first: within becomes contains");
        assert_eq!(t("S_DISJOINT(geometry, POINT(4.5 0.5)) AND nama = 'it''s'"), Vec::<String>::new());
        assert_eq!(t("TRUE"), ["A", "B", "C"]);
    }

    #[test]
    fn json_filters() {
        let j = |v: Value| run(&v.to_string(), Lang::Json).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(j(json!({"op": "=", "args": [{"property": "nama"}, "B"]})), ["B"]);
        assert_eq!(j(json!({"op": "and", "args": [{"op": ">=", "args": [{"property": "n"}, 2]}, {"op": "not", "args": [{"op": "=", "args": [{"property": "ok"}, true]}]}]})), ["C"]);
        assert_eq!(j(json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [0.5, 0.5]}]})), ["A"]);
        assert_eq!(j(json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [3.5, 0.0, 4.5, 1.0]}]})), ["C"]);
        assert_eq!(j(json!({"op": "<", "args": [{"property": "at"}, {"timestamp": "2026-11-02T00:00:00Z"}]})), ["A"]);
        assert_eq!(j(json!({"op": "isNull", "args": [{"property": "p"}]})).len(), 3);
    }

    #[test]
    fn bad_filters_say_what() {
        for (src, lang, want) in [
            ("nama = ", Lang::Text, "not CQL2 text at 1:8: expected"),
            ("nama = 'B", Lang::Text, "not CQL2 text at 1:"),
            ("colour = 'red'", Lang::Text, "not queryable"),
            ("n = 'seven'", Lang::Text, "is a number but"),
            ("ok > true", Lang::Text, "only with = and <>"),
            ("nama LIKE 'B%'", Lang::Text, "advanced comparison"),
            ("S_INTERSECTS(geometry, POINT(1))", Lang::Text, "a geometry literal (valid WKT"),
            ("S_INTERSECTS(nama, POINT(1 1))", Lang::Text, "not a geometry property"),
            ("S_CROSSES(geometry, POINT(1 1))", Lang::Text, "not supported"),
            ("S_INTERSECTS(geometry, BBOX(2, 0, 1, 1))", Lang::Text, "min before max"),
            ("nama = 'B' extra", Lang::Text, "not CQL2 text at 1:"),
            ("(nama = 'B'", Lang::Text, "not CQL2 text at 1:"),
            ("", Lang::Text, "empty"),
            ("{\"op\": \"=\", \"args\": [{\"property\": \"nama\"}]}", Lang::Json, "takes 2"),
            ("{\"op\": \"~\", \"args\": []}", Lang::Json, "unknown op"),
            ("{\"op\": \"=\"", Lang::Json, "not JSON"),
            ("{\"op\": \"=\", \"args\": [{\"property\": \"secret\"}, 1]}", Lang::Json, "not queryable"),
        ] {
            let e = run(src, lang).unwrap_err();
            assert!(e.contains(want), "{src}: {e}");
        }
    }
}
