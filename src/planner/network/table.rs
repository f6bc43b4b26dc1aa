//! Many-to-many tables over the contraction hierarchy: the bucket method of Knopp, Sanders,
//! Schultes, Schulz and Wagner ("Computing many-to-many shortest paths using highway hierarchies",
//! ALENEX 2007), which `fast_paths` does not offer (it answers one query at a time). Each target
//! runs one backward search upward in the hierarchy and leaves (target, time, metres) in a bucket
//! at every node it settles; each source runs one forward upward search and reads the buckets of
//! the nodes it settles. A pair's shortest path meets at its highest node, so the minimum over the
//! buckets is exact. The upward graphs are read from `fast_paths`' public 32-bit form
//! ([`FastGraph32`]), with the metres of every shortcut summed from the two edges it replaces.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

use fast_paths::FastGraph32;

use super::{cache, RoadNetwork, Snap};
use crate::planner::model::LonLat;

#[derive(Debug, Clone, Copy)]
struct UpEdge {
    adj: u32,
    ms: u32,
    m: f64,
}

/// Forward and backward upward adjacency, indexed by node (not rank).
pub(super) struct Upward {
    fwd_first: Vec<u32>,
    fwd: Vec<UpEdge>,
    bwd_first: Vec<u32>,
    bwd: Vec<UpEdge>,
}

const NONE: u32 = u32::MAX;

impl Upward {
    /// `metres(a, b)` is the length of the original edge a→b.
    pub(super) fn new(g: &FastGraph32, metres: impl Fn(u32, u32) -> f64) -> Upward {
        let n = g.ranks.len();
        // Metres per CH edge, in rank order: a shortcut replaces edges of a lower-ranked node,
        // which are therefore already known.
        let mut fwd_m = vec![0.0; g.edges_fwd.len()];
        let mut bwd_m = vec![0.0; g.edges_bwd.len()];
        // An original edge has its road metres; a shortcut the sum of the in- and out-edge it replaces.
        let length = |replaced: (u32, u32), fwd_m: &[f64], bwd_m: &[f64], original: (u32, u32)| {
            if replaced.0 == NONE {
                metres(original.0, original.1)
            } else {
                bwd_m[replaced.0 as usize] + fwd_m[replaced.1 as usize]
            }
        };
        for r in 0..n {
            for e in g.first_edge_ids_fwd[r] as usize..g.first_edge_ids_fwd[r + 1] as usize {
                let x = g.edges_fwd[e];
                fwd_m[e] = length((x.replaced_in_edge, x.replaced_out_edge), &fwd_m, &bwd_m, (x.base_node, x.adj_node));
            }
            for e in g.first_edge_ids_bwd[r] as usize..g.first_edge_ids_bwd[r + 1] as usize {
                let x = g.edges_bwd[e];
                // A backward edge at `base_node` stands for the road adj_node → base_node.
                bwd_m[e] = length((x.replaced_in_edge, x.replaced_out_edge), &fwd_m, &bwd_m, (x.adj_node, x.base_node));
            }
        }
        // Re-index by node so a search needs no rank lookup.
        // (fast_paths does not export its 32-bit edge type, so edges are read through a closure.)
        let by_node = |first: &[u32], edge: &dyn Fn(usize) -> (u32, u32), m: &[f64]| {
            let mut out_first = Vec::with_capacity(n + 1);
            let mut out = Vec::with_capacity(m.len());
            for &rank in &g.ranks {
                out_first.push(out.len() as u32);
                let r = rank as usize;
                let edges = first[r] as usize..first[r + 1] as usize;
                out.extend(edges.clone().zip(&m[edges]).map(|(e, &m)| {
                    let (adj, ms) = edge(e);
                    UpEdge { adj, ms, m }
                }));
            }
            out_first.push(out.len() as u32);
            (out_first, out)
        };
        let (fwd_first, fwd) = by_node(&g.first_edge_ids_fwd, &|e| (g.edges_fwd[e].adj_node, g.edges_fwd[e].weight), &fwd_m);
        let (bwd_first, bwd) = by_node(&g.first_edge_ids_bwd, &|e| (g.edges_bwd[e].adj_node, g.edges_bwd[e].weight), &bwd_m);
        Upward { fwd_first, fwd, bwd_first, bwd }
    }

    fn nodes(&self) -> usize {
        self.fwd_first.len() - 1
    }

    /// Dijkstra restricted to upward edges; `visit(node, ms, metres)` for every settled node.
    /// Ties on time go to the shorter distance, then the lower node, so tables are deterministic.
    fn search(&self, start: u32, forward: bool, s: &mut Scratch, mut visit: impl FnMut(u32, u64, f64)) {
        let (first, edges) = if forward { (&self.fwd_first, &self.fwd) } else { (&self.bwd_first, &self.bwd) };
        for &n in &s.touched {
            s.best[n as usize] = (u64::MAX, f64::INFINITY);
        }
        s.touched.clear();
        s.heap.clear();
        s.best[start as usize] = (0, 0.0);
        s.touched.push(start);
        s.heap.push(Reverse((0, 0, start)));
        while let Some(Reverse((ms, mm, node))) = s.heap.pop() {
            let (best_ms, best_m) = s.best[node as usize];
            if ms > best_ms || (ms == best_ms && mm > best_m.to_bits()) {
                continue;
            }
            visit(node, ms, best_m);
            for e in &edges[first[node as usize] as usize..first[node as usize + 1] as usize] {
                let (nms, nm) = (ms + e.ms as u64, best_m + e.m);
                let cur = s.best[e.adj as usize];
                if nms < cur.0 || (nms == cur.0 && nm < cur.1) {
                    if cur.0 == u64::MAX {
                        s.touched.push(e.adj);
                    }
                    s.best[e.adj as usize] = (nms, nm);
                    s.heap.push(Reverse((nms, nm.to_bits(), e.adj)));
                }
            }
        }
    }

    /// (ms, metres) from each source to each target, row-major. A node id of `u32::MAX` (a
    /// point that did not snap) gives `None` in its row or column.
    pub(super) fn many_to_many(&self, sources: &[u32], targets: &[u32], threads: usize) -> Vec<Option<(u64, f64)>> {
        let n = self.nodes();
        let mut buckets: HashMap<u32, Vec<(u32, u64, f64)>> = HashMap::new();
        let mut scratch = Scratch::new(n);
        for (j, &t) in targets.iter().enumerate() {
            if t == NONE {
                continue;
            }
            self.search(t, false, &mut scratch, |node, ms, m| buckets.entry(node).or_default().push((j as u32, ms, m)));
        }
        let cols = targets.len();
        let mut out: Vec<Option<(u64, f64)>> = vec![None; sources.len() * cols];
        let chunk = sources.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|scope| {
            for (part, rows) in out.chunks_mut(chunk * cols.max(1)).enumerate() {
                let buckets = &buckets;
                scope.spawn(move || {
                    let mut scratch = Scratch::new(n);
                    for (k, row) in rows.chunks_mut(cols.max(1)).enumerate() {
                        let s = sources[part * chunk + k];
                        if s == NONE {
                            continue;
                        }
                        self.search(s, true, &mut scratch, |node, ms, m| {
                            for &(j, tms, tm) in buckets.get(&node).map(Vec::as_slice).unwrap_or(&[]) {
                                let cand = (ms + tms, m + tm);
                                let cell = &mut row[j as usize];
                                if cell.is_none_or(|c| cand.0 < c.0 || (cand.0 == c.0 && cand.1 < c.1)) {
                                    *cell = Some(cand);
                                }
                            }
                        });
                    }
                });
            }
        });
        out
    }
}

struct Scratch {
    best: Vec<(u64, f64)>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch { best: vec![(u64::MAX, f64::INFINITY); n], touched: Vec::new(), heap: BinaryHeap::new() }
    }
}

/// The full table among a fixed set of points (depots and drop points), computed once per plan
/// or read from the disk cache.
pub(super) struct Prepared {
    index: HashMap<(u64, u64), usize>,
    snaps: Vec<Result<Snap, f64>>,
    /// Row-major network (ms, metres) between the snapped nodes; `None` when unreachable.
    legs: Vec<Option<(u64, f64)>>,
}

fn key(p: LonLat) -> (u64, u64) {
    (p.lon.to_bits(), p.lat.to_bits())
}

impl Prepared {
    /// Returns the table and whether it came from the cache.
    pub(super) fn compute(net: &RoadNetwork, points: &[LonLat], cache_dir: Option<&Path>, threads: usize) -> (Prepared, bool) {
        let mut index = HashMap::new();
        let mut unique: Vec<LonLat> = Vec::new();
        for &p in points {
            index.entry(key(p)).or_insert_with(|| {
                unique.push(p);
                unique.len() - 1
            });
        }
        let snaps: Vec<Result<Snap, f64>> = unique.iter().map(|&p| net.snap(p)).collect();
        let nodes: Vec<u32> = snaps.iter().map(|s| s.map_or(NONE, |s| s.node)).collect();
        let file = cache_dir.map(|d| cache::path(d, net.fingerprint(), &unique));
        if let Some(legs) = file.as_deref().and_then(|f| cache::read(f, unique.len())) {
            return (Prepared { index, snaps, legs }, true);
        }
        // Metres as f32, the precision the cache keeps, so a cached re-plan equals the cold plan.
        let legs: Vec<Option<(u64, f64)>> = net.node_table(&nodes, &nodes, threads).into_iter().map(|l| l.map(|(ms, m)| (ms, m as f32 as f64))).collect();
        if let Some(f) = file.as_deref() {
            // A cache that cannot be written only costs the next plan the computation.
            let _ = cache::write(f, unique.len(), &legs);
        }
        (Prepared { index, snaps, legs }, false)
    }

    pub(super) fn indices(&self, points: &[LonLat]) -> Option<Vec<usize>> {
        points.iter().map(|&p| self.index.get(&key(p)).copied()).collect()
    }

    pub(super) fn snap(&self, i: usize) -> Result<Snap, f64> {
        self.snaps[i]
    }

    pub(super) fn network(&self, i: usize, j: usize) -> Option<(u64, f64)> {
        self.legs[i * self.snaps.len() + j]
    }
}
