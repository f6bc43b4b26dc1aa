//! CQL2 filters (OGC API – Features Part 3): Basic CQL2 (AND, OR, NOT, `=`, `<>`, `<`, `>`,
//! `<=`, `>=`, `IS [NOT] NULL`, boolean literals) in the text and the JSON encoding, plus the
//! spatial functions `S_INTERSECTS`, `S_WITHIN`, `S_CONTAINS`, `S_DISJOINT` with WKT / GeoJSON /
//! `BBOX(…)` literals, parsed into one small tree, checked against the collection's queryables
//! (types included) and evaluated in memory on the features.
//!
//! Why not the `cql2` crate (the issue asked for it; measured 2026-11-27, numbers in
//! `src/ogc/README.md`): no released version (0.1.0 … 0.6.0) fits the tree without duplicates.
//! Every one declares no cargo features (so `default-features = false` changes nothing) and
//! requires `geozero ^0.14` (sigap: 0.15; a second geozero, and with it a second `wkt`, 0.11)
//! and serde_json with `preserve_order` (which changes the key order of every JSON answer sigap
//! writes and rebuilds sqlx, axum, utoipa, geojson …); since 0.4 also jsonschema and sqlparser.
//! Upstream main (0.6.0) still says `geozero = "0.14.0"`. Adding it: +58 crates in Cargo.lock,
//! 90 crates to rebuild (6 min 38 s of `cargo check` on this shared 2-core machine, against 12 s
//! for sigap alone). What sigap needs is the few hundred lines below; WKT is read by the `wkt`
//! crate (already in the tree through geozero).

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
    let e = match lang {
        Lang::Text => Parser::new(src)?.whole()?,
        Lang::Json => {
            let v: Value = serde_json::from_str(src).map_err(|e| format!("not JSON: {e}"))?;
            from_json(&v)?
        }
    };
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

// ---- CQL2 text ----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Num(f64),
    Op(&'static str),
    /// A geometry literal's whole text (WKT or BBOX(…)), cut at its closing parenthesis.
    Geom(String),
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
}

const GEOMETRY_WORDS: &[&str] = &["POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "BBOX"];

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, String> {
    let b: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err(format!("at {start}: the string is not closed with '")),
                    Some('\'') if b.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push((start, Tok::Str(s)));
        } else if c == '"' {
            let end = b[i + 1..].iter().position(|&x| x == '"').ok_or_else(|| format!("at {start}: the quoted name is not closed with \""))?;
            out.push((start, Tok::Quoted(b[i + 1..i + 1 + end].iter().collect())));
            i += end + 2;
        } else if c.is_ascii_digit() || ((c == '-' || c == '+' || c == '.') && b.get(i + 1).is_some_and(|n| n.is_ascii_digit() || *n == '.')) {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || ((b[j] == '-' || b[j] == '+') && matches!(b[j - 1], 'e' | 'E'))) {
                j += 1;
            }
            let text: String = b[i..j].iter().collect();
            let n = text.parse::<f64>().map_err(|_| format!("at {start}: {text:?} is not a number"))?;
            out.push((start, Tok::Num(n)));
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_alphanumeric() || b[j] == '_' || b[j] == '.' || b[j] == ':') {
                j += 1;
            }
            let word: String = b[i..j].iter().collect();
            if GEOMETRY_WORDS.contains(&word.to_ascii_uppercase().as_str()) {
                // Up to the parenthesis that closes the first one.
                let open = (j..b.len()).find(|&k| !b[k].is_whitespace()).filter(|&k| b[k] == '(').ok_or_else(|| format!("at {start}: {word} needs ( … )"))?;
                let mut depth = 0;
                let mut k = open;
                loop {
                    match b.get(k) {
                        None => return Err(format!("at {start}: {word}( … ) is not closed")),
                        Some('(') => depth += 1,
                        Some(')') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    k += 1;
                }
                out.push((start, Tok::Geom(b[i..=k].iter().collect())));
                i = k + 1;
            } else {
                out.push((start, Tok::Word(word)));
                i = j;
            }
        } else {
            let two: String = b[i..(i + 2).min(b.len())].iter().collect();
            let op = match two.as_str() {
                "<>" => Some("<>"),
                "<=" => Some("<="),
                ">=" => Some(">="),
                _ => None,
            };
            if let Some(op) = op {
                out.push((start, Tok::Op(op)));
                i += 2;
                continue;
            }
            let op = match c {
                '=' => "=",
                '<' => "<",
                '>' => ">",
                '(' => "(",
                ')' => ")",
                ',' => ",",
                other => return Err(format!("at {start}: unexpected character {other:?}")),
            };
            out.push((start, Tok::Op(op)));
            i += 1;
        }
    }
    Ok(out)
}

/// A geometry literal: WKT, or `BBOX(minx, miny, maxx, maxy)`.
fn geometry_literal(text: &str) -> Result<Geometry<f64>, String> {
    let upper = text.trim_start().to_ascii_uppercase();
    if upper.starts_with("BBOX") {
        let inner = text.trim().get(4..).unwrap_or("").trim().trim_start_matches('(').trim_end_matches(')');
        let n: Vec<f64> = inner.split(',').map(|x| x.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| format!("{text}: BBOX takes 4 numbers"))?;
        return bbox(&n);
    }
    let w = wkt::Wkt::<f64>::from_str(text).map_err(|e| format!("{text}: not valid WKT ({e})"))?;
    Geometry::try_from(w).map_err(|e| format!("{text}: {e}"))
}

fn bbox(n: &[f64]) -> Result<Geometry<f64>, String> {
    if n.len() != 4 || n.iter().any(|x| !x.is_finite()) || n[0] > n[2] || n[1] > n[3] {
        return Err(format!("BBOX {n:?}: give 4 finite numbers, min before max"));
    }
    Ok(Geometry::Rect(geo::Rect::new(geo::coord! {x: n[0], y: n[1]}, geo::coord! {x: n[2], y: n[3]})))
}

impl Parser {
    fn new(src: &str) -> Result<Parser, String> {
        Ok(Parser { toks: lex(src)?, at: 0 })
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }

    fn pos(&self) -> String {
        match self.toks.get(self.at) {
            Some((p, _)) => format!("at {p}"),
            None => "at the end".into(),
        }
    }

    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn op(&mut self, o: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(x)) if *x == o) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, o: &str) -> Result<(), String> {
        if self.op(o) {
            Ok(())
        } else {
            Err(format!("{}: expected {o:?}", self.pos()))
        }
    }

    fn whole(&mut self) -> Result<Expr, String> {
        if self.toks.is_empty() {
            return Err("the filter is empty".into());
        }
        let e = self.or()?;
        if self.at < self.toks.len() {
            return Err(format!("{}: unexpected {:?} after a complete expression", self.pos(), self.toks[self.at].1));
        }
        Ok(e)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut v = vec![self.and()?];
        while self.keyword("OR") {
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Expr::Or(v) })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut v = vec![self.not()?];
        while self.keyword("AND") {
            v.push(self.not()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Expr::And(v) })
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        if self.op("(") {
            let e = self.or()?;
            self.expect(")")?;
            return Ok(e);
        }
        if let Some(Tok::Word(w)) = self.peek() {
            let upper = w.to_ascii_uppercase();
            let spatial = match upper.as_str() {
                "S_INTERSECTS" => Some(Spatial::Intersects),
                "S_WITHIN" => Some(Spatial::Within),
                "S_CONTAINS" => Some(Spatial::Contains),
                "S_DISJOINT" => Some(Spatial::Disjoint),
                _ => None,
            };
            if let Some(op) = spatial {
                self.at += 1;
                self.expect("(")?;
                let a = self.spatial_arg()?;
                self.expect(",")?;
                let b = self.spatial_arg()?;
                self.expect(")")?;
                return spatial_expr(op, a, b);
            }
            if upper.starts_with("S_") || upper.starts_with("T_") || upper.starts_with("A_") {
                return Err(format!("{}: {w} is not supported; the spatial functions are S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT", self.pos()));
            }
        }
        let pos = self.pos();
        let a = self.scalar()?;
        if self.keyword("IS") {
            let negated = self.keyword("NOT");
            if !self.keyword("NULL") {
                return Err(format!("{}: expected NULL after IS", self.pos()));
            }
            let Scalar::Prop(p) = a else { return Err(format!("{pos}: IS NULL needs a property")) };
            let e = Expr::IsNull(p);
            return Ok(if negated { Expr::Not(Box::new(e)) } else { e });
        }
        let op = match self.peek() {
            Some(Tok::Op("=")) => Cmp::Eq,
            Some(Tok::Op("<>")) => Cmp::Ne,
            Some(Tok::Op("<")) => Cmp::Lt,
            Some(Tok::Op(">")) => Cmp::Gt,
            Some(Tok::Op("<=")) => Cmp::Le,
            Some(Tok::Op(">=")) => Cmp::Ge,
            Some(Tok::Word(w)) if ["LIKE", "BETWEEN", "IN"].contains(&w.to_ascii_uppercase().as_str()) => {
                return Err(format!("{}: {w} is an advanced comparison operator, not served (Basic CQL2 only)", self.pos()))
            }
            _ => {
                if let Scalar::Bool(b) = a {
                    return Ok(Expr::Bool(b));
                }
                return Err(format!("{}: expected a comparison (=, <>, <, >, <=, >=) or IS NULL", self.pos()));
            }
        };
        self.at += 1;
        let b = self.scalar()?;
        Ok(Expr::Cmp(op, a, b))
    }

    fn scalar(&mut self) -> Result<Scalar, String> {
        let pos = self.pos();
        let t = self.toks.get(self.at).map(|(_, t)| t.clone()).ok_or_else(|| format!("{pos}: expected a property or a value"))?;
        self.at += 1;
        Ok(match t {
            Tok::Str(s) => Scalar::Str(s),
            Tok::Num(n) => Scalar::Num(n),
            Tok::Quoted(p) => Scalar::Prop(p),
            Tok::Word(w) => match w.to_ascii_uppercase().as_str() {
                "TRUE" => Scalar::Bool(true),
                "FALSE" => Scalar::Bool(false),
                "TIMESTAMP" | "DATE" => {
                    self.expect("(")?;
                    let s = match self.toks.get(self.at).map(|(_, t)| t.clone()) {
                        Some(Tok::Str(s)) => s,
                        _ => return Err(format!("{}: {w}( needs a quoted value", self.pos())),
                    };
                    self.at += 1;
                    self.expect(")")?;
                    Scalar::Time(parse_time(&s).map_err(|e| format!("{pos}: {e}"))?)
                }
                _ => Scalar::Prop(w),
            },
            other => return Err(format!("{pos}: expected a property or a value, got {other:?}")),
        })
    }

    fn spatial_arg(&mut self) -> Result<SpatialArg, String> {
        let pos = self.pos();
        match self.toks.get(self.at).map(|(_, t)| t.clone()) {
            Some(Tok::Geom(text)) => {
                self.at += 1;
                Ok(SpatialArg::Literal(geometry_literal(&text).map_err(|e| format!("{pos}: {e}"))?))
            }
            Some(Tok::Word(p)) | Some(Tok::Quoted(p)) => {
                self.at += 1;
                Ok(SpatialArg::Prop(p))
            }
            _ => Err(format!("{pos}: expected the geometry property or a geometry literal (WKT or BBOX(…))")),
        }
    }
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

// ---- CQL2 JSON ----

fn from_json(v: &Value) -> Result<Expr, String> {
    if let Value::Bool(b) = v {
        return Ok(Expr::Bool(*b));
    }
    let op = v.get("op").and_then(Value::as_str).ok_or_else(|| format!("expected an object with \"op\" and \"args\", got {v}"))?;
    let args = v.get("args").and_then(Value::as_array).ok_or_else(|| format!("{op}: \"args\" must be an array"))?;
    let n = |want: usize| if args.len() == want { Ok(()) } else { Err(format!("{op} takes {want} argument(s), got {}", args.len())) };
    let cmp = match op {
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
        return Ok(Expr::Cmp(c, json_scalar(&args[0])?, json_scalar(&args[1])?));
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
        return spatial_expr(s, json_spatial(&args[0])?, json_spatial(&args[1])?);
    }
    match op {
        "and" | "or" => {
            if args.len() < 2 {
                return Err(format!("{op} takes at least 2 arguments"));
            }
            let v = args.iter().map(from_json).collect::<Result<Vec<_>, _>>()?;
            Ok(if op == "and" { Expr::And(v) } else { Expr::Or(v) })
        }
        "not" => {
            n(1)?;
            Ok(Expr::Not(Box::new(from_json(&args[0])?)))
        }
        "isNull" => {
            n(1)?;
            match json_scalar(&args[0])? {
                Scalar::Prop(p) => Ok(Expr::IsNull(p)),
                _ => Err("isNull needs a property".into()),
            }
        }
        "like" | "between" | "in" => Err(format!("{op} is an advanced comparison operator, not served (Basic CQL2 only)")),
        other => Err(format!("unknown op {other:?}")),
    }
}

fn json_scalar(v: &Value) -> Result<Scalar, String> {
    Ok(match v {
        Value::String(s) => Scalar::Str(s.clone()),
        Value::Number(n) => Scalar::Num(n.as_f64().ok_or("number out of range")?),
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Object(o) => {
            if let Some(p) = o.get("property").and_then(Value::as_str) {
                Scalar::Prop(p.to_string())
            } else if let Some(t) = o.get("timestamp").or_else(|| o.get("date")).and_then(Value::as_str) {
                Scalar::Time(parse_time(t)?)
            } else {
                return Err(format!("expected {{\"property\": …}}, a timestamp or a value, got {v}"));
            }
        }
        other => return Err(format!("expected a property or a value, got {other}")),
    })
}

fn json_spatial(v: &Value) -> Result<SpatialArg, String> {
    if let Some(p) = v.get("property").and_then(Value::as_str) {
        return Ok(SpatialArg::Prop(p.to_string()));
    }
    if let Some(b) = v.get("bbox").and_then(Value::as_array) {
        let n: Vec<f64> = b.iter().map(|x| x.as_f64().ok_or("bbox takes numbers")).collect::<Result<_, _>>()?;
        return bbox(&n).map(SpatialArg::Literal);
    }
    let g: geojson::Geometry = serde_json::from_value(v.clone()).map_err(|e| format!("not a GeoJSON geometry: {e}"))?;
    Geometry::try_from(g).map(SpatialArg::Literal).map_err(|e| format!("GeoJSON geometry: {e}"))
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
            ("nama = ", Lang::Text, "expected a property or a value"),
            ("nama = 'B", Lang::Text, "not closed"),
            ("colour = 'red'", Lang::Text, "not queryable"),
            ("n = 'seven'", Lang::Text, "is a number but"),
            ("ok > true", Lang::Text, "only with = and <>"),
            ("nama LIKE 'B%'", Lang::Text, "advanced comparison"),
            ("S_INTERSECTS(geometry, POINT(1))", Lang::Text, "not valid WKT"),
            ("S_INTERSECTS(nama, POINT(1 1))", Lang::Text, "not a geometry property"),
            ("S_CROSSES(geometry, POINT(1 1))", Lang::Text, "not supported"),
            ("S_INTERSECTS(geometry, BBOX(2, 0, 1, 1))", Lang::Text, "min before max"),
            ("nama = 'B' extra", Lang::Text, "after a complete expression"),
            ("(nama = 'B'", Lang::Text, "expected \")\""),
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
