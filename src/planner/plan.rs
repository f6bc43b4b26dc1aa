//! The plan as handed to people and machines: per day, per truck, the ordered stops with times
//! and loads; totals; every stop left out with its reason. Serialisers for JSON (serde), CSV (one
//! row per stop, for the schedule letters agreed with each kecamatan) and GeoJSON (one
//! LineString per truck-day, for the map).

use std::io::Write;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{ClockTime, LonLat, PlanSettings};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub meta: PlanMeta,
    pub days: Vec<DayPlan>,
    pub unassigned: Vec<UnassignedStop>,
    /// Stops whose packages needed more than one truckload.
    pub splits: Vec<SplitNote>,
    pub totals: Totals,
    /// Things a planner should look at (a frozen route that overruns its shift, ...).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanMeta {
    pub horizon_days: u32,
    pub seed: u64,
    /// Which travel model produced distances and times.
    pub travel: String,
    pub solver: String,
    pub settings: PlanSettings,
    /// Depot-days ("day 3 BALAIKOTA") whose search the wall-clock cap stopped before the
    /// generation budget was spent; empty means the plan repeats exactly for the same seed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_capped: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DayPlan {
    /// Working day, 1-based.
    pub day: u32,
    pub date: Option<NaiveDate>,
    pub routes: Vec<TruckRoute>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TruckRoute {
    pub depot: String,
    pub truck: String,
    pub day: u32,
    /// Trip of this truck on this day (1-based): with `settings.reload.max_trips` above 1 a truck
    /// comes back, reloads at the gudang and leaves again.
    #[serde(default = "first_trip")]
    pub trip: u32,
    pub depart: ClockTime,
    /// Back at the depot.
    pub back: ClockTime,
    /// Packages loaded at the depot.
    pub packages: u32,
    pub distance_m: u64,
    /// Distance times the depot's cost per km in rupiah, when given.
    pub cost: Option<u64>,
    /// True for a route kept from the previous plan (dispatched today).
    pub frozen: bool,
    pub depot_pos: LonLat,
    pub stops: Vec<Visit>,
    /// The driven line, depot to depot along the roads, when the plan ran on a road network, as
    /// an encoded polyline at precision 6 (Google's algorithm with 1e6 instead of 1e5, as OSRM's
    /// `polyline6`; latitude first in the encoding, decode with any polyline library or
    /// [`TruckRoute::road_line`]). Dense road lines as JSON arrays made a city plan 44 MB; encoded they
    /// are about an eighth of that. Without it the map draws straight lines between the stops;
    /// `?format=geojson` gives the decoded lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polyline6: Option<String>,
}

impl TruckRoute {
    /// The road line as (lon, lat) pairs, decoded from [`TruckRoute::polyline6`].
    pub fn road_line(&self) -> Option<Vec<[f64; 2]>> {
        let line = polyline::decode_polyline(self.polyline6.as_ref()?, 6).ok()?;
        Some(line.coords().map(|c| [c.x, c.y]).collect())
    }

    /// Encodes a (lon, lat) line for [`TruckRoute::polyline6`].
    pub fn encode_line(line: &[[f64; 2]]) -> Option<String> {
        polyline::encode_coordinates(line.iter().map(|c| geo::Coord { x: c[0], y: c[1] }), 6).ok()
    }
}

fn first_trip() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Visit {
    pub seq: u32,
    pub stop: String,
    /// Delivery number of a split stop (1-based) and how many deliveries it has.
    pub part: u32,
    pub parts: u32,
    pub name: Option<String>,
    pub kelurahan: Option<String>,
    pub kecamatan: Option<String>,
    pub pos: LonLat,
    pub arrival: ClockTime,
    /// Unloading starts (later than arrival when the truck waits for the window).
    pub start: ClockTime,
    pub departure: ClockTime,
    pub packages: u32,
    /// Packages left on the truck after this stop.
    pub load_after: u32,
    pub distance_from_prev_m: u64,
}

/// Why a stop (or part of it) is not in the plan.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// More packages than a truck carries and splitting is off.
    Capacity,
    /// The stop's window cannot be met from any depot within a shift.
    TimeWindow,
    /// Not reached within the horizon: the fleet is busy until the last day.
    Horizon,
    /// No road from any depot (Kepulauan Seribu by truck), or too far to return within a shift.
    Unreachable,
    /// The depots do not hold enough packages.
    Stock,
    /// The stop lies outside DKI Jakarta.
    OutsideArea,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Capacity => "capacity",
            Reason::TimeWindow => "time_window",
            Reason::Horizon => "horizon",
            Reason::Unreachable => "unreachable",
            Reason::Stock => "stock",
            Reason::OutsideArea => "outside_area",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnassignedStop {
    pub stop: String,
    /// Packages not planned (the whole stop, or the remainder of a split stop).
    pub packages: u32,
    pub reason: Reason,
    pub detail: String,
    /// Depot the stop was assigned to, if any.
    pub depot: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SplitNote {
    pub stop: String,
    pub packages: u32,
    pub truck_capacity: u32,
    pub deliveries: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Totals {
    pub stops: usize,
    pub stops_planned: usize,
    pub stops_partly_planned: usize,
    pub stops_unassigned: usize,
    pub packages_requested: u64,
    pub packages_planned: u64,
    pub packages_unassigned: u64,
    /// Distinct (truck, day) pairs with at least one trip.
    pub truck_days: usize,
    /// Trips (loads from a gudang); equals `truck_days` when every truck makes one trip a day.
    #[serde(default)]
    pub trips: usize,
    /// Last day with a route.
    pub days_used: u32,
    pub distance_m: u64,
    pub cost: Option<u64>,
    pub depots: Vec<DepotTotals>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DepotTotals {
    pub depot: String,
    pub packages_planned: u64,
    pub stock_left: u64,
    pub truck_days: usize,
    pub distance_m: u64,
}

impl Plan {
    pub fn routes(&self) -> impl Iterator<Item = &TruckRoute> {
        self.days.iter().flat_map(|d| d.routes.iter())
    }

    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// One row per stop visit, in day, depot, truck, sequence order. `start` is when unloading
    /// begins: later than `arrival` when the truck waits for the kecamatan's slot.
    pub fn write_csv<W: Write>(&self, out: W) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "day", "date", "depot", "truck", "seq", "stop", "part", "name", "kelurahan", "kecamatan", "lon", "lat",
            "arrival", "start", "departure", "packages", "trip",
        ])?;
        for day in &self.days {
            let date = day.date.map(|d| d.to_string()).unwrap_or_default();
            for r in &day.routes {
                for v in &r.stops {
                    w.write_record([
                        day.day.to_string(),
                        date.clone(),
                        r.depot.clone(),
                        r.truck.clone(),
                        v.seq.to_string(),
                        v.stop.clone(),
                        format!("{}/{}", v.part, v.parts),
                        v.name.clone().unwrap_or_default(),
                        v.kelurahan.clone().unwrap_or_default(),
                        v.kecamatan.clone().unwrap_or_default(),
                        format!("{:.6}", v.pos.lon),
                        format!("{:.6}", v.pos.lat),
                        v.arrival.to_string(),
                        v.start.to_string(),
                        v.departure.to_string(),
                        v.packages.to_string(),
                        r.trip.to_string(),
                    ])?;
                }
            }
        }
        w.flush()?;
        Ok(())
    }

    /// One LineString per truck-day: depot, stops in order, depot.
    pub fn to_geojson(&self) -> geojson::FeatureCollection {
        let features = self
            .routes()
            .map(|r| {
                let coords = match r.road_line() {
                    Some(line) => line.iter().map(|c| c.to_vec()).collect(),
                    None => {
                        let mut coords = vec![vec![r.depot_pos.lon, r.depot_pos.lat]];
                        coords.extend(r.stops.iter().map(|v| vec![v.pos.lon, v.pos.lat]));
                        coords.push(vec![r.depot_pos.lon, r.depot_pos.lat]);
                        coords
                    }
                };
                let mut props = serde_json::Map::new();
                props.insert("day".into(), r.day.into());
                props.insert("depot".into(), r.depot.clone().into());
                props.insert("truck".into(), r.truck.clone().into());
                props.insert("trip".into(), r.trip.into());
                props.insert("packages".into(), r.packages.into());
                props.insert("stops".into(), r.stops.len().into());
                props.insert("distance_km".into(), serde_json::json!(r.distance_m as f64 / 1000.0));
                props.insert("depart".into(), r.depart.to_string().into());
                props.insert("back".into(), r.back.to_string().into());
                props.insert("frozen".into(), r.frozen.into());
                props.insert("follows_roads".into(), r.polyline6.is_some().into());
                props.insert("stop_ids".into(), r.stops.iter().map(|v| v.stop.clone()).collect::<Vec<_>>().into());
                geojson::Feature {
                    bbox: None,
                    geometry: Some(geojson::Geometry::new(geojson::Value::LineString(coords))),
                    id: None,
                    properties: Some(props),
                    foreign_members: None,
                }
            })
            .collect();
        geojson::FeatureCollection { bbox: None, features, foreign_members: None }
    }
}

/// Indonesian thousands separator: 1194633 -> "1.194.633".
pub fn id_number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_number_format() {
        assert_eq!(id_number(1_194_633), "1.194.633");
        assert_eq!(id_number(149_500), "149.500");
        assert_eq!(id_number(999), "999");
        assert_eq!(id_number(0), "0");
    }

    #[test]
    fn reasons_serialise_in_snake_case() {
        assert_eq!(serde_json::to_string(&Reason::TimeWindow).unwrap(), "\"time_window\"");
        assert_eq!(Reason::OutsideArea.as_str(), "outside_area");
    }
}
