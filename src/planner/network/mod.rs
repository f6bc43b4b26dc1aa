//! Travel times over the road network (issue 16): the OSM roads read by [`crate::roads`] become a
//! directed graph (one-way streets respected, free-flow speed per road class), reduced to its
//! largest strongly connected component so every kept node reaches every other; points are
//! snapped to the nearest node with an R-tree and refused beyond `max_snap_m` (reported as
//! `unreachable` with the distance); shortest paths come from a contraction hierarchy built by
//! `fast_paths` (a maintained CH crate), tables from a many-to-many bucket search over the same
//! hierarchy ([`table`]), and a prepared table is kept on disk keyed by the network and the points
//! ([`cache`]) so a re-plan does not recompute it.
//!
//! Travel time of a leg = (free-flow time on the network) / (congestion factor) + the straight
//! walk from each point to its road node at residential speed (a drop point is rarely exactly on
//! an OSM node). The great-circle model ([`super::travel::GreatCircle`]) stays the default when
//! no network is loaded.

pub mod cache;
pub mod table;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use fast_paths::{FastGraph, FastGraph32, InputGraph, PathCalculator};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use sha2::{Digest, Sha256};

use super::model::{LonLat, PlanRequest, RoadSettings};
use super::travel::{great_circle_m, Leg, TravelError, TravelMatrix, TravelTable};
use crate::roads::{read_roads, Oneway, RoadClass, RoadError, RoadSegment};
use crate::wilayah::to_metric;
use table::Upward;

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error(transparent)]
    Read(#[from] RoadError),
    #[error("no usable roads: none of the {segments} road segments is of a class trucks drive with a speed set")]
    NoDrivable { segments: usize },
}

/// What the network was built from and what was kept.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NetworkStats {
    pub segments: usize,
    pub drivable_segments: usize,
    /// Distinct road vertices of the drivable segments.
    pub nodes: usize,
    /// Strongly connected components among them.
    pub components: usize,
    /// Nodes of the largest one, the only one routed on.
    pub nodes_kept: usize,
    /// Directed road edges of the kept component.
    pub edges: usize,
    /// Edges the contraction hierarchy added.
    pub shortcuts: usize,
    /// Road length of the kept component (each road once, one-way or not), km.
    pub km: f64,
}

/// Nearest road node of a point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    pub node: u32,
    pub distance_m: f64,
}

/// The routable network: nodes of the largest strongly connected component, their R-tree, the
/// contraction hierarchy (for paths) and its upward graphs with metres per edge (for tables).
pub struct RoadNetwork {
    nodes: Vec<LonLat>,
    tree: RTree<GeomWithData<[f64; 2], u32>>,
    ch: FastGraph,
    up: Upward,
    calculator: Mutex<PathCalculator>,
    settings: RoadSettings,
    fingerprint: [u8; 32],
    pub stats: NetworkStats,
}

/// One directed road edge before contraction.
#[derive(Debug, Clone, Copy)]
struct RawEdge {
    ms: u32,
    m: f64,
}

fn node_key(c: geo::Coord<f64>) -> (u64, u64) {
    (c.x.to_bits(), c.y.to_bits())
}

impl RoadNetwork {
    /// Reads the road file with the shared reader and builds the network.
    pub fn load(path: &Path, settings: &RoadSettings) -> Result<RoadNetwork, NetworkError> {
        let segments = read_roads(path)?;
        RoadNetwork::build(&segments, settings)
    }

    /// Builds the graph: drivable segments (a class with a speed in `settings`), one node per
    /// distinct vertex, one edge per consecutive vertex pair in each allowed direction (the
    /// fastest when two roads join the same vertices), the largest strongly connected component,
    /// then the contraction hierarchy.
    pub fn build(segments: &[RoadSegment], settings: &RoadSettings) -> Result<RoadNetwork, NetworkError> {
        let speed = |s: &RoadSegment| -> Option<f64> {
            if !s.class.drivable() {
                return None;
            }
            let v = *settings.speeds_kmh.get(&s.class)?;
            Some(if s.link { v * settings.link_factor } else { v })
        };
        let mut hasher = Sha256::new();
        hasher.update(b"sigap-roads-v1");
        hasher.update(serde_json::to_vec(&(&settings.speeds_kmh, settings.link_factor)).unwrap_or_default());
        let mut index: HashMap<(u64, u64), u32> = HashMap::new();
        let mut coords: Vec<LonLat> = Vec::new();
        let mut edges: HashMap<(u32, u32), RawEdge> = HashMap::new();
        let mut drivable = 0usize;
        for s in segments {
            let Some(kmh) = speed(s) else { continue };
            drivable += 1;
            hasher.update([s.class as u8, s.link as u8, s.oneway as u8]);
            let mut ids = Vec::with_capacity(s.line.0.len());
            for c in &s.line.0 {
                hasher.update(c.x.to_le_bytes());
                hasher.update(c.y.to_le_bytes());
                let id = *index.entry(node_key(*c)).or_insert_with(|| {
                    coords.push(LonLat::new(c.x, c.y));
                    (coords.len() - 1) as u32
                });
                ids.push(id);
            }
            for w in ids.windows(2) {
                let (a, b) = (w[0], w[1]);
                if a == b {
                    continue;
                }
                let m = great_circle_m(coords[a as usize], coords[b as usize]);
                let ms = ((m / (kmh / 3.6)) * 1000.0).round().max(1.0) as u32;
                let mut add = |from: u32, to: u32| {
                    let e = edges.entry((from, to)).or_insert(RawEdge { ms, m });
                    if ms < e.ms {
                        *e = RawEdge { ms, m };
                    }
                };
                match s.oneway {
                    Oneway::Both => {
                        add(a, b);
                        add(b, a);
                    }
                    Oneway::Forward => add(a, b),
                    Oneway::Backward => add(b, a),
                }
            }
        }
        if edges.is_empty() {
            return Err(NetworkError::NoDrivable { segments: segments.len() });
        }
        let mut edge_list: Vec<((u32, u32), RawEdge)> = edges.into_iter().collect();
        edge_list.sort_by_key(|e| e.0);

        // Largest strongly connected component (petgraph's Kosaraju: iterative, where its Tarjan
        // recurses once per node and overflows the stack on a city), ties to the lowest node id.
        let mut g: petgraph::Graph<(), (), petgraph::Directed, u32> = petgraph::Graph::with_capacity(coords.len(), edge_list.len());
        for _ in 0..coords.len() {
            g.add_node(());
        }
        for ((a, b), _) in &edge_list {
            g.add_edge((*a).into(), (*b).into(), ());
        }
        let components = petgraph::algo::kosaraju_scc(&g);
        let largest = components
            .iter()
            .max_by(|a, b| a.len().cmp(&b.len()).then_with(|| b.iter().min().cmp(&a.iter().min())))
            .cloned()
            .unwrap_or_default();
        let mut keep = vec![u32::MAX; coords.len()];
        let mut sorted: Vec<u32> = largest.iter().map(|n| n.index() as u32).collect();
        sorted.sort_unstable();
        for (new, &old) in sorted.iter().enumerate() {
            keep[old as usize] = new as u32;
        }
        let nodes: Vec<LonLat> = sorted.iter().map(|&o| coords[o as usize]).collect();
        let mut kept: HashMap<(u32, u32), RawEdge> = HashMap::new();
        let mut input = InputGraph::new();
        let mut metres = 0.0;
        for ((a, b), e) in &edge_list {
            let (na, nb) = (keep[*a as usize], keep[*b as usize]);
            if na == u32::MAX || nb == u32::MAX {
                continue;
            }
            // Count a two-way road once.
            if a < b || edge_list.binary_search_by_key(&(*b, *a), |x| x.0).is_err() {
                metres += e.m;
            }
            input.add_edge(na as usize, nb as usize, e.ms as usize);
            kept.insert((na, nb), *e);
        }
        input.freeze();
        let ch = fast_paths::prepare(&input);
        let up = Upward::new(&FastGraph32::new(&ch), |a, b| kept.get(&(a, b)).map_or(0.0, |e| e.m));
        let tree = RTree::bulk_load(
            nodes.iter().enumerate().map(|(i, p)| {
                let c = to_metric(p.lon, p.lat);
                GeomWithData::new([c.x, c.y], i as u32)
            })
            .collect(),
        );
        let stats = NetworkStats {
            segments: segments.len(),
            drivable_segments: drivable,
            nodes: coords.len(),
            components: components.len(),
            nodes_kept: nodes.len(),
            edges: kept.len(),
            shortcuts: (ch.get_num_out_edges() + ch.get_num_in_edges()).saturating_sub(kept.len()),
            km: metres / 1000.0,
        };
        let calculator = Mutex::new(fast_paths::create_calculator(&ch));
        Ok(RoadNetwork { nodes, tree, ch, up, calculator, settings: settings.clone(), fingerprint: hasher.finalize().into(), stats })
    }

    /// Identifies the network and the settings its weights come from (for the disk cache).
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    pub fn node(&self, n: u32) -> LonLat {
        self.nodes[n as usize]
    }

    /// Nearest kept road node, however far.
    pub fn nearest(&self, p: LonLat) -> Option<Snap> {
        let c = to_metric(p.lon, p.lat);
        let nn = self.tree.nearest_neighbor(&[c.x, c.y])?;
        Some(Snap { node: nn.data, distance_m: great_circle_m(p, self.node(nn.data)) })
    }

    /// Nearest road node within `max_snap_m`; `Err(distance)` when the nearest is farther.
    pub fn snap(&self, p: LonLat) -> Result<Snap, f64> {
        match self.nearest(p) {
            Some(s) if s.distance_m <= self.settings.max_snap_m => Ok(s),
            Some(s) => Err(s.distance_m),
            None => Err(f64::INFINITY),
        }
    }

    /// Node sequence of the fastest path, as coordinates.
    pub fn path_nodes(&self, from: u32, to: u32) -> Option<Vec<LonLat>> {
        if from == to {
            return Some(vec![self.node(from)]);
        }
        let mut calc = self.calculator.lock().unwrap_or_else(|p| p.into_inner());
        let path = calc.calc_path(&self.ch, from as usize, to as usize)?;
        Some(path.get_nodes().iter().map(|&n| self.nodes[n]).collect())
    }

    /// Free-flow (milliseconds, metres) from each source node to each target node, row-major;
    /// `None` where no path exists. Work is split over `threads`.
    pub fn node_table(&self, sources: &[u32], targets: &[u32], threads: usize) -> Vec<Option<(u64, f64)>> {
        self.up.many_to_many(sources, targets, threads)
    }
}

/// [`TravelMatrix`] over a [`RoadNetwork`] at one congestion factor.
pub struct RoadMatrix<'a> {
    net: &'a RoadNetwork,
    /// Travel times are free-flow times divided by this.
    pub factor: f64,
    /// What the factor stands for ("mean 07:00–17:00").
    pub factor_note: String,
    threads: usize,
    prepared: Option<table::Prepared>,
}

impl<'a> RoadMatrix<'a> {
    pub fn new(net: &'a RoadNetwork, factor: f64, factor_note: impl Into<String>, threads: usize) -> Self {
        RoadMatrix { net, factor, factor_note: factor_note.into(), threads: threads.max(1), prepared: None }
    }

    /// Computes (or reads from `cache_dir`) the table among all `points`, so later [`table`]
    /// calls over any of them are lookups. Returns whether the cache answered.
    ///
    /// [`table`]: TravelMatrix::table
    pub fn prepare(&mut self, points: &[LonLat], cache_dir: Option<&Path>) -> bool {
        let (prepared, hit) = table::Prepared::compute(self.net, points, cache_dir, self.threads);
        self.prepared = Some(prepared);
        hit
    }

    /// The matrix a plan request drives on: one congestion factor, the profile's mean over the
    /// depots' shifts, and the table among all depots and stops prepared (or read from `cache`).
    /// Shared by the CLI and the HTTP plan jobs so both plan on the same roads. Returns the
    /// matrix, the number of points and whether the cache answered.
    pub fn for_request(net: &'a RoadNetwork, req: &PlanRequest, cache: Option<&Path>) -> (Self, usize, bool) {
        let start = req.depots.iter().map(|d| d.shift_start).min().unwrap_or_default();
        let end = req.depots.iter().map(|d| d.shift_end).max().unwrap_or_default();
        let factor = req.settings.roads.mean_factor(start, end);
        let mut m = RoadMatrix::new(net, factor, format!("mean of the congestion profile {start}–{end}"), req.settings.threads);
        let mut points: Vec<LonLat> = req.depots.iter().map(|d| LonLat::new(d.lon, d.lat)).collect();
        points.extend(req.stops.iter().map(|s| LonLat::new(s.lon, s.lat)));
        let hit = m.prepare(&points, cache);
        (m, points.len(), hit)
    }

    fn access_s(&self, m: f64) -> f64 {
        let kmh = self.net.settings.speeds_kmh.get(&RoadClass::Residential).copied().unwrap_or(20.0);
        m / (kmh / 3.6) / self.factor
    }

    fn leg(&self, a: (LonLat, Result<Snap, f64>), b: (LonLat, Result<Snap, f64>), network: Option<(u64, f64)>) -> Option<Leg> {
        if a.0 == b.0 {
            return Some(Leg { distance_m: 0.0, duration_s: 0.0 });
        }
        let (Ok(sa), Ok(sb), Some((ms, m))) = (a.1, b.1, network) else { return None };
        let walk = sa.distance_m + sb.distance_m;
        Some(Leg { distance_m: m + walk, duration_s: ms as f64 / 1000.0 / self.factor + self.access_s(walk) })
    }
}

impl TravelMatrix for RoadMatrix<'_> {
    fn name(&self) -> String {
        let s = &self.net.stats;
        format!(
            "roads: OSM network, {} nodes / {:.0} km in the largest connected component, congestion x{:.2} ({})",
            s.nodes_kept, s.km, self.factor, self.factor_note
        )
    }

    fn table(&self, from: &[LonLat], to: &[LonLat]) -> Result<TravelTable, TravelError> {
        if let Some(p) = &self.prepared {
            if let (Some(fi), Some(ti)) = (p.indices(from), p.indices(to)) {
                return Ok(TravelTable::from_fn(from.len(), to.len(), |i, j| {
                    self.leg((from[i], p.snap(fi[i])), (to[j], p.snap(ti[j])), p.network(fi[i], ti[j]))
                }));
            }
        }
        let sf: Vec<Result<Snap, f64>> = from.iter().map(|&p| self.net.snap(p)).collect();
        let st: Vec<Result<Snap, f64>> = to.iter().map(|&p| self.net.snap(p)).collect();
        let sources: Vec<u32> = sf.iter().map(|s| s.map_or(u32::MAX, |s| s.node)).collect();
        let targets: Vec<u32> = st.iter().map(|s| s.map_or(u32::MAX, |s| s.node)).collect();
        let net = self.net.node_table(&sources, &targets, self.threads);
        Ok(TravelTable::from_fn(from.len(), to.len(), |i, j| self.leg((from[i], sf[i]), (to[j], st[j]), net[i * to.len() + j])))
    }

    fn unreachable_reason(&self, p: LonLat) -> Option<String> {
        match self.net.snap(p) {
            Ok(_) => None,
            Err(d) => Some(format!(
                "{:.0} m from the nearest road of the network (more than the {:.0} m allowed by settings.roads.max_snap_m)",
                d, self.net.settings.max_snap_m
            )),
        }
    }

    fn path(&self, from: LonLat, to: LonLat) -> Option<Vec<LonLat>> {
        let (a, b) = (self.net.snap(from).ok()?, self.net.snap(to).ok()?);
        let mut line = vec![from];
        line.extend(self.net.path_nodes(a.node, b.node)?);
        line.push(to);
        line.dedup();
        Some(line)
    }
}

#[cfg(test)]
mod tests;
