//! Search over the atlas's names for the public map's search box: a kelurahan, kecamatan, kota
//! or RW by name, typo-tolerant (`Kebon Kacang`, `kebon kacng`, `kb kacang`), or a coordinate.
//!
//! **Index.** Every name is cut into lowercase ASCII tokens (`Kebon Kacang` → `kebon`, `kacang`;
//! digits lose leading zeros, so `RW 008` → `rw`, `8`). The distinct tokens go into an FST
//! (the `fst` crate) and each token has a posting list of the areas whose own name, or whose
//! parents' names, hold it. A query token is looked up with automata over the FST, never by a
//! scan of all names: exact, prefix (`kebo` → `kebon`), Levenshtein distance 1 for tokens of
//! 4–7 letters and 2 from 8 (`kacng` → `kacang`), and abbreviation for 2–3 letters
//! (`kb` → `kebon`, `kp` → `kampung`, `tj` → `tanjung`: same first letter, the rest in order).
//! An area matches when every query token matches one of its tokens; it scores the sum of the
//! best match per token (exact 4, prefix 3, abbreviation 2.5, typo 2 or 1.5), own-name matches
//! counting more than a parent's, then finer levels first (kelurahan, kecamatan, kota, RW).
//!
//! The index is built per atlas version (≈ 3 000 areas: a few ms) and swapped with it.

pub mod http;

use crate::wilayah::{Atlas, Level};
use fst::automaton::{Levenshtein, Str, Subsequence};
use fst::{Automaton, IntoStreamer, Map, Streamer};
use geo::{BoundingRect, InteriorPoint};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One hit of a search.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub kode: String,
    pub nama: String,
    pub level: Level,
    /// Names of the parents, nearest first (kelurahan, kecamatan, kota), for telling hits apart.
    pub parents: Vec<String>,
    /// A point inside the area (lon, lat), where a map puts the marker.
    pub center: [f64; 2],
    /// West, south, east, north.
    pub bbox: [f64; 4],
    pub score: f64,
}

struct Entry {
    kode: String,
    nama: String,
    level: Level,
    parents: Vec<String>,
    center: [f64; 2],
    bbox: [f64; 4],
    /// Number of tokens in the area's own name.
    own_tokens: usize,
}

/// Where a token occurs: in the entry's own name or in a parent's.
#[derive(Clone, Copy, PartialEq)]
enum In {
    Own,
    Parent,
}

pub struct SearchIndex {
    /// Token → its index in `postings`.
    tokens: Map<Vec<u8>>,
    /// Per token (in FST order): (entry, where).
    postings: Vec<Vec<(u32, In)>>,
    entries: Vec<Entry>,
}

/// Lowercase ASCII tokens of a name or query: letters and digits, split on everything else;
/// accented letters lose their accent, digits their leading zeros.
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if cur.is_empty() {
            return;
        }
        let t = if cur.bytes().all(|b| b.is_ascii_digit()) { cur.trim_start_matches('0').to_string() } else { cur.clone() };
        out.push(if t.is_empty() { "0".into() } else { t });
        cur.clear();
    };
    for c in s.chars() {
        let c = fold(c);
        if c.is_ascii_alphanumeric() {
            cur.push(c.to_ascii_lowercase());
        } else if c != '\'' {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// The ASCII letter of a Latin letter with a diacritic (é → e); others unchanged.
fn fold(c: char) -> char {
    match c {
        'à'..='å' | 'À'..='Å' => 'a',
        'è'..='ë' | 'È'..='Ë' => 'e',
        'ì'..='ï' | 'Ì'..='Ï' => 'i',
        'ò'..='ö' | 'Ò'..='Ö' => 'o',
        'ù'..='ü' | 'Ù'..='Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        other => other,
    }
}

/// How well a query token matched an indexed one.
fn quality(q: &str, t: &str) -> f64 {
    if q == t {
        4.0
    } else if t.starts_with(q) {
        3.0
    } else if q.len() <= 3 {
        2.5
    } else if strsim_distance(q, t) <= 1 {
        2.0
    } else {
        1.5
    }
}

/// Levenshtein distance (small strings only: query tokens against candidate tokens).
fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn level_rank(l: Level) -> u8 {
    match l {
        Level::Kelurahan => 0,
        Level::Kecamatan => 1,
        Level::Kota => 2,
        Level::Rw => 3,
    }
}

impl SearchIndex {
    pub fn new(atlas: &Atlas) -> SearchIndex {
        let mut entries = Vec::new();
        let mut by_token: std::collections::BTreeMap<String, Vec<(u32, In)>> = Default::default();
        for a in atlas.all() {
            let (Some(p), Some(r)) = (a.geometry.interior_point(), a.geometry.bounding_rect()) else { continue };
            let parents: Vec<String> = [Level::Rw, Level::Kelurahan, Level::Kecamatan, Level::Kota]
                .into_iter()
                .filter(|l| *l < a.level)
                .filter_map(|l| a.code.ancestor(l).and_then(|c| atlas.get(&c)).map(|p| crate::tiles::basemap::short_label(&p.name).to_string()))
                .collect();
            let id = entries.len() as u32;
            let own = tokens(&a.name);
            for t in &own {
                by_token.entry(t.clone()).or_default().push((id, In::Own));
            }
            for t in parents.iter().flat_map(|p| tokens(p)) {
                let list = by_token.entry(t).or_default();
                if !list.iter().any(|(e, _)| *e == id) {
                    list.push((id, In::Parent));
                }
            }
            entries.push(Entry {
                kode: a.code.to_string(),
                nama: a.name.clone(),
                level: a.level,
                parents,
                center: [p.x(), p.y()],
                bbox: [r.min().x, r.min().y, r.max().x, r.max().y],
                own_tokens: own.len(),
            });
        }
        // BTreeMap order is the lexicographic byte order the FST needs.
        let tokens = Map::from_iter(by_token.keys().enumerate().map(|(i, t)| (t, i as u64))).unwrap_or_default();
        let postings = by_token.into_values().collect();
        SearchIndex { tokens, postings, entries }
    }

    /// The FST tokens a query token matches, as (token index, quality).
    fn candidates(&self, q: &str) -> HashMap<usize, f64> {
        let mut found: HashMap<usize, f64> = HashMap::new();
        self.collect(Str::new(q).starts_with(), q, &mut found);
        let n = q.chars().count();
        if (2..=3).contains(&n) && q.bytes().all(|b| b.is_ascii_alphabetic()) {
            // Abbreviation: same first letter, the rest in order (`kb` → `kebon`).
            self.collect(Str::new(&q[..1]).starts_with().intersection(Subsequence::new(q)), q, &mut found);
        }
        let dist = match n {
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        };
        if dist > 0 && q.bytes().any(|b| b.is_ascii_alphabetic()) {
            if let Ok(lev) = Levenshtein::new(q, dist) {
                self.collect(&lev, q, &mut found);
            }
        }
        found
    }

    fn collect<A: Automaton>(&self, aut: A, q: &str, found: &mut HashMap<usize, f64>) {
        let mut s = self.tokens.search(aut).into_stream();
        while let Some((t, i)) = s.next() {
            let Ok(t) = std::str::from_utf8(t) else { continue };
            let quality = quality(q, t);
            let e = found.entry(i as usize).or_insert(quality);
            *e = e.max(quality);
        }
    }

    /// The best `limit` areas for a name query; empty when a query token matches nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = tokens(query);
        if q.is_empty() {
            return Vec::new();
        }
        // Per entry: score so far and how many query tokens it matched.
        let mut acc: HashMap<u32, (f64, usize, f64)> = HashMap::new();
        for (i, qt) in q.iter().enumerate() {
            let mut best: HashMap<u32, (f64, f64)> = HashMap::new();
            for (tok, quality) in self.candidates(qt) {
                for &(e, place) in &self.postings[tok] {
                    let (s, own) = if place == In::Own { (quality, quality) } else { (quality * 0.6, 0.0) };
                    let b = best.entry(e).or_insert((0.0, 0.0));
                    if s > b.0 {
                        *b = (s, own);
                    }
                }
            }
            for (e, (s, own)) in best {
                let a = acc.entry(e).or_insert((0.0, 0, 0.0));
                if a.1 == i {
                    *a = (a.0 + s, a.1 + 1, a.2 + own);
                }
            }
        }
        let mut hits: Vec<(u32, f64)> = acc
            .into_iter()
            .filter(|(_, (_, n, own))| *n == q.len() && *own > 0.0)
            .map(|(e, (s, _, _))| {
                let entry = &self.entries[e as usize];
                // Names with words the query did not mention rank a little lower.
                let spare = entry.own_tokens.saturating_sub(q.len()) as f64 * 0.1;
                (e, s - spare)
            })
            .collect();
        hits.sort_by(|(a, sa), (b, sb)| {
            let (ea, eb) = (&self.entries[*a as usize], &self.entries[*b as usize]);
            sb.total_cmp(sa).then(level_rank(ea.level).cmp(&level_rank(eb.level))).then(ea.kode.cmp(&eb.kode))
        });
        hits.into_iter().take(limit).map(|(e, score)| self.hit(e as usize, score)).collect()
    }

    fn hit(&self, e: usize, score: f64) -> Hit {
        let x = &self.entries[e];
        Hit { kode: x.kode.clone(), nama: x.nama.clone(), level: x.level, parents: x.parents.clone(), center: x.center, bbox: x.bbox, score }
    }

    /// The entry of an area code (for coordinate answers).
    pub fn by_code(&self, kode: &str) -> Option<Hit> {
        self.entries.iter().position(|e| e.kode == kode).map(|i| self.hit(i, 0.0))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A coordinate typed into the search box: `-6.1754, 106.8272` (lat, lon, as maps copy it) or
/// `106.8272 -6.1754`; the order is told apart by range where it can be (Jakarta's longitude is
/// above 90), else lat, lon. None when the text is not two numbers.
pub fn parse_coordinate(q: &str) -> Option<(f64, f64)> {
    let nums: Vec<f64> = q.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|s| !s.is_empty()).map(str::parse).collect::<Result<_, _>>().ok()?;
    let [a, b] = nums.as_slice() else { return None };
    let (a, b) = (*a, *b);
    if !a.is_finite() || !b.is_finite() {
        return None;
    }
    if a.abs() > 90.0 && b.abs() <= 90.0 {
        Some((a, b))
    } else {
        Some((b, a))
    }
}

/// The search index of the current atlas, rebuilt when the atlas changes.
#[derive(Clone, Default)]
pub struct SearchCache(Arc<Mutex<Option<Built>>>);

/// The index and the atlas it was built from.
type Built = (Arc<Atlas>, Arc<SearchIndex>);

impl SearchCache {
    pub fn get(&self, atlas: Arc<Atlas>) -> Arc<SearchIndex> {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &*g {
            Some((a, idx)) if Arc::ptr_eq(a, &atlas) => idx.clone(),
            _ => {
                let idx = Arc::new(SearchIndex::new(&atlas));
                *g = Some((atlas, idx.clone()));
                idx
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wilayah::{Area, AreaCode, AtlasConfig};
    use geo::{polygon, MultiPolygon};

    fn area(code: &str, name: &str, lon: f64) -> Area {
        let code = AreaCode::parse(code).unwrap();
        let d = 0.01;
        let g = MultiPolygon(vec![polygon![(x: lon, y: -6.2), (x: lon + d, y: -6.2), (x: lon + d, y: -6.2 + d), (x: lon, y: -6.2 + d), (x: lon, y: -6.2)]]);
        Area { level: code.level(), parent: code.parent(), code, name: name.into(), geometry: g, generated: false, source: None, year: None }
    }

    fn index() -> SearchIndex {
        SearchIndex::new(&Atlas::new(
            vec![
                area("31.71", "Kota Administrasi Jakarta Pusat", 106.8),
                area("31.71.01", "Tanah Abang", 106.8),
                area("31.71.01.1001", "Kebon Kacang", 106.80),
                area("31.71.01.1002", "Kebon Melati", 106.81),
                area("31.71.01.1003", "Kampung Bali", 106.82),
                area("31.71.01.1001.008", "RW 008", 106.80),
            ],
            AtlasConfig::default(),
        ))
    }

    fn first(idx: &SearchIndex, q: &str) -> Option<String> {
        idx.search(q, 5).first().map(|h| h.kode.clone())
    }

    #[test]
    fn tokens_fold_case_accents_and_zeros() {
        assert_eq!(tokens("Kebon  Kacang"), ["kebon", "kacang"]);
        assert_eq!(tokens("RW 008"), ["rw", "8"]);
        assert_eq!(tokens("Jatinegara Kaum/Rawamangun-é"), ["jatinegara", "kaum", "rawamangun", "e"]);
        assert!(tokens(" ,. ").is_empty());
    }

    #[test]
    fn names_are_found_exactly_by_prefix_with_typos_and_abbreviated() {
        let idx = index();
        for q in ["Kebon Kacang", "kebon kacang", "KEBON KACANG", "kebon kac", "kebn kacang", "kebon kacng", "kb kacang", "kacang", "kebon kacang tanah abang"] {
            assert_eq!(first(&idx, q).as_deref(), Some("31.71.01.1001"), "{q}");
        }
        assert_eq!(first(&idx, "kp bali").as_deref(), Some("31.71.01.1003"));
        assert_eq!(first(&idx, "tanah abang").as_deref(), Some("31.71.01"), "the kecamatan itself before its kelurahan");
        assert_eq!(first(&idx, "jakarta pusat").as_deref(), Some("31.71"));
        assert_eq!(first(&idx, "rw 8 kebon kacang").as_deref(), Some("31.71.01.1001.008"));
        let kebon: Vec<String> = idx.search("kebon", 5).into_iter().map(|h| h.kode).collect();
        assert_eq!(kebon, ["31.71.01.1001", "31.71.01.1002"]);
        assert!(idx.search("zzzz", 5).is_empty());
        assert!(idx.search("kebon xylofon", 5).is_empty(), "every token must match");
        assert!(idx.search("", 5).is_empty());
        let h = &idx.search("kebon kacang", 1)[0];
        assert_eq!(h.parents, ["Tanah Abang", "Jakarta Pusat"]);
        assert!(h.bbox[0] <= h.center[0] && h.center[0] <= h.bbox[2]);
    }

    #[test]
    fn coordinates_parse_in_either_order() {
        assert_eq!(parse_coordinate("-6.1754, 106.8272"), Some((106.8272, -6.1754)));
        assert_eq!(parse_coordinate("106.8272 -6.1754"), Some((106.8272, -6.1754)));
        assert_eq!(parse_coordinate("-6.1754;106.8272"), Some((106.8272, -6.1754)));
        assert_eq!(parse_coordinate("kebon kacang"), None);
        assert_eq!(parse_coordinate("1 2 3"), None);
        assert_eq!(parse_coordinate("NaN, 106"), None);
    }
}
