//! Problem model of the distribution planner: depots (gudang), stops (titik RW) and settings,
//! as they arrive from CSV, JSON or the atlas, and their validated form.
//!
//! Inputs keep signed integers and optional fields so that a wrong value (a negative capacity,
//! a missing window end) reaches [`PlanRequest::validate`] and gets an error naming the field,
//! instead of a generic deserialisation failure. Every input type refuses unknown fields: a typo
//! in an optional field (`shift_strat`) would otherwise be dropped and its default planned
//! silently. Free text (ids, names) is checked with [`crate::text`], so a control character is a
//! 422 naming the field on both stores rather than a 500 on PostgreSQL and a stored row on SQLite.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::roads::RoadClass;
use crate::text::{self, TextError};

/// Bounding box of DKI Jakarta including Kepulauan Seribu (lon 106.3..107.1, lat -6.4..-5.1).
pub const JAKARTA_BBOX: Bbox = Bbox { min_lon: 106.3, max_lon: 107.1, min_lat: -6.4, max_lat: -5.1 };

/// Trucks cannot drive north of this latitude: everything beyond is Kepulauan Seribu (the
/// southernmost islands lie near -5.95, the mainland coast near -6.09).
pub const MAINLAND_NORTH_LIMIT: f64 = -6.0;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bbox {
    pub min_lon: f64,
    pub max_lon: f64,
    pub min_lat: f64,
    pub max_lat: f64,
}

impl Bbox {
    pub fn contains(&self, p: LonLat) -> bool {
        p.lon >= self.min_lon && p.lon <= self.max_lon && p.lat >= self.min_lat && p.lat <= self.max_lat
    }
}

/// WGS84 longitude, latitude (GeoJSON order).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

impl LonLat {
    pub const fn new(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }
}

/// Time of day in seconds since midnight. Written as "HH:MM" because that is how shift times and
/// kecamatan coordination slots are agreed on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ClockTime(pub u32);

impl ClockTime {
    pub const MAX: ClockTime = ClockTime(24 * 3600);

    pub fn hm(h: u32, m: u32) -> Self {
        ClockTime(h * 3600 + m * 60)
    }

    pub fn seconds(self) -> u32 {
        self.0
    }

    /// Parses "HH:MM" or "HH:MM:SS" (00:00 to 24:00).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let parts: Vec<&str> = t.split(':').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return Err(format!("'{t}' is not a time of day (expected HH:MM)"));
        }
        let num = |s: &str, max: u32| -> Result<u32, String> {
            if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("'{t}' is not a time of day (expected HH:MM)"));
            }
            let v: u32 = s.parse().map_err(|_| format!("'{t}' is not a time of day (expected HH:MM)"))?;
            if v > max {
                return Err(format!("'{t}' is not a time of day (expected HH:MM)"));
            }
            Ok(v)
        };
        let h = num(parts[0], 24)?;
        let m = num(parts[1], 59)?;
        let s = if parts.len() == 3 { num(parts[2], 59)? } else { 0 };
        let secs = h * 3600 + m * 60 + s;
        if secs > Self::MAX.0 {
            return Err(format!("'{t}' is after 24:00"));
        }
        Ok(ClockTime(secs))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 3600, (self.0 % 3600) / 60)
    }
}

/// "HH:MM", or "HH:MM:SS" when there are seconds, so that JSON round-trips exactly.
impl Serialize for ClockTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(60) {
            s.collect_str(self)
        } else {
            s.collect_str(&format_args!("{}:{:02}", self, self.0 % 60))
        }
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ClockTime::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A warehouse as given by the user (gudang: Balaikota, Dinas Kesehatan, ...).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DepotInput {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    /// Packages in stock for this plan.
    pub stock: i64,
    /// Number of trucks available each day.
    pub trucks: i64,
    /// Packages one truck carries.
    pub truck_capacity: i64,
    #[serde(default = "default_shift_start")]
    pub shift_start: ClockTime,
    #[serde(default = "default_shift_end")]
    pub shift_end: ClockTime,
    /// Rupiah per kilometre driven, for the cost total only.
    #[serde(default)]
    pub cost_per_km: Option<f64>,
    /// Free-text remark kept with the request, not used in planning (the shipped demo depots
    /// say in it where their figures come from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Stock per item (whole base units), for stops that carry `items`: such a stop is served
    /// only from a depot holding every item it needs, else it is unassigned with reason `stock`
    /// naming the item. `sigap plan --from-logistics` fills it from the gudang's ledger balance.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub items: BTreeMap<String, i64>,
}

fn default_shift_start() -> ClockTime {
    ClockTime::hm(7, 0)
}
fn default_shift_end() -> ClockTime {
    ClockTime::hm(17, 0)
}

/// A drop point (usually an RW) with the packages still to deliver there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct StopInput {
    /// RW code (31.71.01.1001.008) or any unique text.
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub packages: i64,
    /// Coordination slot agreed with the kecamatan; both ends or neither.
    #[serde(default)]
    pub window_start: Option<ClockTime>,
    #[serde(default)]
    pub window_end: Option<ClockTime>,
    #[serde(default)]
    pub kelurahan: Option<String>,
    #[serde(default)]
    pub kecamatan: Option<String>,
    /// The depot that must serve this stop (a logistics request leaves from the gudang that
    /// approved it); unknown ids are refused naming `stops[i].depot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depot: Option<String>,
    /// Items this stop needs (whole base units), checked against the depots' `items` stock.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub items: BTreeMap<String, i64>,
}

/// Unloading time at a stop: a fixed part (counting, checking condition, signing the BAST) plus a
/// part per package carried off the truck.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceTime {
    pub fixed_min: f64,
    pub per_package_s: f64,
}

impl Default for ServiceTime {
    fn default() -> Self {
        Self { fixed_min: 20.0, per_package_s: 3.0 }
    }
}

impl ServiceTime {
    pub fn seconds(&self, packages: u32) -> f64 {
        self.fixed_min * 60.0 + self.per_package_s * packages as f64
    }
}

/// Settings of the great-circle travel model (see [`crate::planner::travel::GreatCircle`]).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TravelSettings {
    /// Road distance / great-circle distance. 1.4 is the usual figure for dense urban grids.
    pub circuity: f64,
    /// Average truck speed in km/h including congestion (Jakarta daytime traffic).
    pub speed_kmh: f64,
    /// Treat Kepulauan Seribu (north of -6.0) as unreachable by truck.
    pub mainland_only: bool,
}

impl Default for TravelSettings {
    fn default() -> Self {
        Self { circuity: 1.4, speed_kmh: 20.0, mainland_only: true }
    }
}

/// A period of the day with a congestion factor: travel times on the road network are free-flow
/// times divided by the factor (0.5 = twice as long).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CongestionPeriod {
    pub start: ClockTime,
    pub end: ClockTime,
    pub factor: f64,
}

/// Settings of the road-network travel model (`sigap plan --roads FILE`, see
/// [`crate::planner::network`]). The defaults are stated assumptions, not measurements: free-flow
/// truck speeds per OSM road class, and a weekday Jakarta congestion profile (morning and evening
/// peaks at half speed, daytime at 70 %). A plan uses one factor, the time-weighted mean of the
/// profile over the depots' shifts, because vrp-core's matrices here are not time-dependent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RoadSettings {
    /// Free-flow truck speed per road class in km/h; a class missing here is not driven.
    pub speeds_kmh: BTreeMap<RoadClass, f64>,
    /// Speed of a `_link` ramp relative to its road class.
    pub link_factor: f64,
    /// Congestion factor per period of the day; hours outside every period drive at free flow.
    pub congestion: Vec<CongestionPeriod>,
    /// A point farther than this from the nearest road node is `unreachable` (with the distance),
    /// instead of getting a silent long walk to the road.
    pub max_snap_m: f64,
}

impl Default for RoadSettings {
    fn default() -> Self {
        use RoadClass::*;
        let speeds = [
            (Motorway, 60.0),
            (Trunk, 50.0),
            (Primary, 40.0),
            (Secondary, 35.0),
            (Tertiary, 30.0),
            (Unclassified, 25.0),
            (Residential, 20.0),
            (LivingStreet, 10.0),
            (Service, 15.0),
            (Other, 20.0),
        ];
        let period = |h0, h1, factor| CongestionPeriod { start: ClockTime::hm(h0, 0), end: ClockTime::hm(h1, 0), factor };
        Self {
            speeds_kmh: speeds.into_iter().collect(),
            link_factor: 0.8,
            congestion: vec![period(6, 10, 0.5), period(10, 16, 0.7), period(16, 20, 0.5), period(20, 24, 0.85)],
            max_snap_m: 500.0,
        }
    }
}

impl RoadSettings {
    /// Time-weighted mean congestion factor between `start` and `end` (free flow = 1 where no
    /// period applies).
    pub fn mean_factor(&self, start: ClockTime, end: ClockTime) -> f64 {
        let (a, b) = (start.seconds() as f64, end.seconds() as f64);
        if b <= a {
            return self.factor_at(start);
        }
        let mut covered = 0.0;
        let mut weighted = 0.0;
        for p in &self.congestion {
            let overlap = (b.min(p.end.seconds() as f64) - a.max(p.start.seconds() as f64)).max(0.0);
            covered += overlap;
            weighted += overlap * p.factor;
        }
        (weighted + ((b - a) - covered).max(0.0)) / (b - a)
    }

    /// Congestion factor at one time of day (the first period containing it, else 1).
    pub fn factor_at(&self, t: ClockTime) -> f64 {
        self.congestion.iter().find(|p| p.start <= t && t < p.end).map_or(1.0, |p| p.factor)
    }

    fn validate(&self) -> Result<(), PlanError> {
        for (class, v) in &self.speeds_kmh {
            setting(&format!("settings.roads.speeds_kmh.{}", class.as_str()), v.is_finite() && *v > 0.0 && *v <= 130.0, "speed must be between 0 and 130 km/h")?;
        }
        setting("settings.roads.speeds_kmh", !self.speeds_kmh.is_empty(), "at least one road class must be driven")?;
        setting("settings.roads.link_factor", self.link_factor.is_finite() && self.link_factor > 0.0 && self.link_factor <= 1.5, "link factor must be in (0, 1.5]")?;
        for (i, p) in self.congestion.iter().enumerate() {
            let f = |name: &str| format!("settings.roads.congestion[{i}].{name}");
            setting(&f("end"), p.end > p.start, "period end must be after its start")?;
            setting(&f("factor"), p.factor.is_finite() && p.factor > 0.0 && p.factor <= 2.0, "congestion factor must be in (0, 2]")?;
        }
        setting("settings.roads.max_snap_m", self.max_snap_m.is_finite() && self.max_snap_m > 0.0 && self.max_snap_m <= 10_000.0, "snap distance must be in (0, 10000] m")?;
        Ok(())
    }
}

/// Multi-trip days: a truck may come back to its gudang, reload and leave again within its shift.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ReloadSettings {
    /// Trips one truck may make in a day (1 = one tour a day, the old behaviour).
    pub max_trips: u32,
    /// Minutes at the gudang between two trips (unload returns, load, paperwork).
    pub reload_min: f64,
}

impl Default for ReloadSettings {
    fn default() -> Self {
        Self { max_trips: 1, reload_min: 45.0 }
    }
}

/// How hard the solver works on each depot-day.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Budget {
    /// Generations of the evolutionary search per depot-day (the reproducible budget).
    pub generations: usize,
    /// Optional wall-clock cap per depot-day; when it is hit the result may differ between runs.
    pub max_seconds: Option<f64>,
}

impl Default for Budget {
    fn default() -> Self {
        Self { generations: 200, max_seconds: None }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PlanSettings {
    /// Horizon in working days.
    pub days: i64,
    pub seed: u64,
    /// Date of day 1; later days skip Saturdays and Sundays.
    pub start_date: Option<NaiveDate>,
    pub service: ServiceTime,
    pub travel: TravelSettings,
    pub budget: Budget,
    /// Road-network travel model settings (used when the plan runs on a road network).
    pub roads: RoadSettings,
    /// Multi-trip days (reload at the gudang within the shift).
    pub reload: ReloadSettings,
    /// Split a stop whose packages exceed one truck into truck-sized deliveries. When false such a
    /// stop is left unassigned with reason `capacity`.
    pub split_large: bool,
    /// Fraction of the fleet's daily capacity the day clustering fills before opening the next
    /// day; below 1 leaves slack for stops the solver cannot fit in time.
    pub day_fill: f64,
    /// Depot-days solved at the same time (each solve is single-threaded and reproducible).
    pub threads: usize,
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            days: 1,
            seed: 1,
            start_date: None,
            service: ServiceTime::default(),
            travel: TravelSettings::default(),
            budget: Budget::default(),
            roads: RoadSettings::default(),
            reload: ReloadSettings::default(),
            split_large: true,
            day_fill: 1.0,
            threads: 1,
        }
    }
}

/// Stops already on a truck today: they stay on that truck on day 1 of the new plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrozenRoute {
    pub depot: String,
    pub truck: String,
    /// Stop ids in visiting order.
    pub stops: Vec<String>,
}

/// Everything needed to plan, as received.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    pub depots: Vec<DepotInput>,
    pub stops: Vec<StopInput>,
    #[serde(default)]
    pub settings: PlanSettings,
    #[serde(default)]
    pub frozen: Vec<FrozenRoute>,
}

/// A validated depot.
#[derive(Debug, Clone, PartialEq)]
pub struct Depot {
    pub id: String,
    pub name: String,
    pub pos: LonLat,
    pub stock: u64,
    pub trucks: u32,
    pub capacity: u32,
    pub shift_start: ClockTime,
    pub shift_end: ClockTime,
    pub cost_per_km: Option<f64>,
    /// Stock per item; an item not listed is 0 (see [`DepotInput::items`]).
    pub items: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: ClockTime,
    pub end: ClockTime,
}

/// A validated stop.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    pub id: String,
    pub name: Option<String>,
    pub pos: LonLat,
    pub packages: u32,
    pub window: Option<Window>,
    pub kelurahan: Option<String>,
    pub kecamatan: Option<String>,
    /// Index of the depot that must serve it.
    pub depot: Option<usize>,
    /// Items needed (whole base units), each > 0.
    pub items: BTreeMap<String, u64>,
}

/// A request that passed validation: ids unique, numbers in range, coordinates real.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub depots: Vec<Depot>,
    pub stops: Vec<Stop>,
    pub settings: PlanSettings,
    pub days: u32,
    pub frozen: Vec<FrozenRoute>,
}

/// Why a request cannot be planned. Each variant names the field at fault (`field()`), which the
/// HTTP layer puts in the problem+json body.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("no depots given: at least one warehouse is needed")]
    NoDepots,
    #[error("no stops given: nothing to deliver")]
    NoStops,
    #[error("the horizon must be at least 1 working day (got {0})")]
    Horizon(i64),
    #[error("{field}: id must not be empty")]
    EmptyId { field: String },
    #[error("{field}: id '{id}' is used twice")]
    DuplicateId { field: String, id: String },
    #[error("{field}: {value} is not a valid coordinate{hint}")]
    BadCoordinate { field: String, value: String, hint: String },
    #[error("{field}: depot at {lon},{lat} lies outside DKI Jakarta (lon 106.3..107.1, lat -6.4..-5.1)")]
    DepotOutside { field: String, lon: f64, lat: f64 },
    #[error("{field}: must be a positive whole number (got {value})")]
    NotPositive { field: String, value: i64 },
    #[error("{field}: must not be negative (got {value})")]
    Negative { field: String, value: i64 },
    #[error("{field}: shift end {end} must be after shift start {start}")]
    Shift { field: String, start: ClockTime, end: ClockTime },
    #[error("{field}: {reason}")]
    Window { field: String, reason: String },
    #[error("{field}: {reason}")]
    Setting { field: String, reason: String },
    #[error("{field}: {reason}")]
    Frozen { field: String, reason: String },
    #[error("{field}: {reason}")]
    Progress { field: String, reason: String },
    #[error(transparent)]
    Text(#[from] TextError),
}

impl PlanError {
    /// The input field at fault, as a path into the request (`stops[3].lon`).
    pub fn field(&self) -> String {
        match self {
            PlanError::NoDepots => "depots".into(),
            PlanError::NoStops => "stops".into(),
            PlanError::Horizon(_) => "settings.days".into(),
            PlanError::EmptyId { field }
            | PlanError::DuplicateId { field, .. }
            | PlanError::BadCoordinate { field, .. }
            | PlanError::DepotOutside { field, .. }
            | PlanError::NotPositive { field, .. }
            | PlanError::Negative { field, .. }
            | PlanError::Shift { field, .. }
            | PlanError::Window { field, .. }
            | PlanError::Setting { field, .. }
            | PlanError::Frozen { field, .. }
            | PlanError::Progress { field, .. } => field.clone(),
            PlanError::Text(e) => e.field().to_string(),
        }
    }
}

/// Longest horizon accepted: a year of working days.
pub const MAX_DAYS: i64 = 261;

/// Longest id of a depot or stop, in characters (an RW code has 17).
pub const MAX_ID: usize = 100;
/// Longest name, kelurahan or kecamatan, in characters.
pub const MAX_NAME: usize = 200;
/// Longest depot note, in characters.
pub const MAX_NOTE: usize = 1000;

/// An optional free-text field: blank is `None`, control characters and overlong text refused.
fn optional_text(field: String, value: Option<&str>, max: usize) -> Result<Option<String>, PlanError> {
    Ok(text::optional(&field, value, max)?.map(str::to_string))
}

fn check_coordinate(field: &str, lon: f64, lat: f64) -> Result<LonLat, PlanError> {
    let ok = lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
    if ok {
        return Ok(LonLat::new(lon, lat));
    }
    let swapped = LonLat::new(lat, lon);
    let hint = if lon.is_finite() && lat.is_finite() && JAKARTA_BBOX.contains(swapped) {
        " (longitude and latitude look swapped)".to_string()
    } else {
        String::new()
    };
    Err(PlanError::BadCoordinate { field: field.to_string(), value: format!("{lon},{lat}"), hint })
}

/// Id present and unique, coordinate real.
fn check_identity(
    seen: &mut HashSet<String>,
    field: &dyn Fn(&str) -> String,
    id: &str,
    lon: f64,
    lat: f64,
) -> Result<(String, LonLat), PlanError> {
    let id = id.trim().to_string();
    if id.is_empty() {
        return Err(PlanError::EmptyId { field: field("id") });
    }
    text::required(&field("id"), &id, MAX_ID)?;
    if !seen.insert(id.clone()) {
        return Err(PlanError::DuplicateId { field: field("id"), id });
    }
    let lon_ok = lon.is_finite() && (-180.0..=180.0).contains(&lon);
    Ok((id, check_coordinate(&field(if lon_ok { "lat" } else { "lon" }), lon, lat)?))
}

fn positive_u32(field: String, value: i64) -> Result<u32, PlanError> {
    if value <= 0 || value > u32::MAX as i64 {
        return Err(PlanError::NotPositive { field, value });
    }
    Ok(value as u32)
}

fn setting(field: &str, ok: bool, reason: &str) -> Result<(), PlanError> {
    if ok {
        Ok(())
    } else {
        Err(PlanError::Setting { field: field.to_string(), reason: reason.to_string() })
    }
}

impl PlanSettings {
    fn validate(&self) -> Result<u32, PlanError> {
        if self.days < 1 {
            return Err(PlanError::Horizon(self.days));
        }
        setting("settings.days", self.days <= MAX_DAYS, "at most 261 working days (one year)")?;
        let t = &self.travel;
        setting("settings.travel.circuity", t.circuity.is_finite() && t.circuity >= 1.0 && t.circuity <= 5.0, "circuity factor must be between 1 and 5")?;
        setting("settings.travel.speed_kmh", t.speed_kmh.is_finite() && t.speed_kmh > 0.0 && t.speed_kmh <= 130.0, "speed must be between 0 and 130 km/h")?;
        let s = &self.service;
        setting("settings.service.fixed_min", s.fixed_min.is_finite() && s.fixed_min >= 0.0 && s.fixed_min <= 600.0, "fixed service time must be between 0 and 600 minutes")?;
        setting("settings.service.per_package_s", s.per_package_s.is_finite() && s.per_package_s >= 0.0 && s.per_package_s <= 600.0, "service time per package must be between 0 and 600 seconds")?;
        setting("settings.budget.generations", self.budget.generations >= 1 && self.budget.generations <= 100_000, "generations must be between 1 and 100000")?;
        if let Some(secs) = self.budget.max_seconds {
            setting("settings.budget.max_seconds", secs.is_finite() && secs > 0.0, "time cap must be a positive number of seconds")?;
        }
        setting("settings.day_fill", self.day_fill.is_finite() && self.day_fill > 0.0 && self.day_fill <= 1.0, "day fill must be in (0, 1]")?;
        setting("settings.threads", self.threads >= 1 && self.threads <= 64, "threads must be between 1 and 64")?;
        self.roads.validate()?;
        setting("settings.reload.max_trips", (1..=10).contains(&self.reload.max_trips), "trips per truck and day must be between 1 and 10")?;
        setting("settings.reload.reload_min", self.reload.reload_min.is_finite() && self.reload.reload_min >= 0.0, "reload time must be a non-negative number of minutes")?;
        Ok(self.days as u32)
    }

    /// Calendar date of working day `day` (1-based), skipping weekends.
    pub fn date_of(&self, day: u32) -> Option<NaiveDate> {
        let mut date = self.start_date?;
        while matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            date = date.succ_opt()?;
        }
        let mut left = day.saturating_sub(1);
        while left > 0 {
            date = date.succ_opt()?;
            if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                left -= 1;
            }
        }
        Some(date)
    }
}

impl PlanRequest {
    /// Checks every field and returns the first problem found, naming the field.
    pub fn validate(self) -> Result<ValidRequest, PlanError> {
        let days = self.settings.validate()?;
        if self.depots.is_empty() {
            return Err(PlanError::NoDepots);
        }
        if self.stops.is_empty() {
            return Err(PlanError::NoStops);
        }
        let mut seen = HashSet::new();
        let mut depots = Vec::with_capacity(self.depots.len());
        for (i, d) in self.depots.into_iter().enumerate() {
            let f = |name: &str| format!("depots[{i}].{name}");
            let (id, pos) = check_identity(&mut seen, &f, &d.id, d.lon, d.lat)?;
            if !JAKARTA_BBOX.contains(pos) {
                return Err(PlanError::DepotOutside { field: f("lon"), lon: d.lon, lat: d.lat });
            }
            if d.stock < 0 {
                return Err(PlanError::Negative { field: f("stock"), value: d.stock });
            }
            let trucks = positive_u32(f("trucks"), d.trucks)?;
            let capacity = positive_u32(f("truck_capacity"), d.truck_capacity)?;
            if d.shift_end <= d.shift_start {
                return Err(PlanError::Shift { field: f("shift_end"), start: d.shift_start, end: d.shift_end });
            }
            let shift_min = (d.shift_end.seconds() - d.shift_start.seconds()) as f64 / 60.0;
            if self.settings.reload.max_trips > 1 && self.settings.reload.reload_min >= shift_min {
                return Err(PlanError::Setting {
                    field: "settings.reload.reload_min".into(),
                    reason: format!(
                        "a reload of {} min does not fit the {}–{} shift of depot {} ({} min): no second trip could ever leave",
                        self.settings.reload.reload_min, d.shift_start, d.shift_end, id, shift_min
                    ),
                });
            }
            if let Some(c) = d.cost_per_km {
                setting(&f("cost_per_km"), c.is_finite() && c >= 0.0, "cost per km must be a non-negative number")?;
            }
            let name = optional_text(f("name"), Some(&d.name), MAX_NAME)?.unwrap_or_else(|| id.clone());
            optional_text(f("note"), d.note.as_deref(), MAX_NOTE)?;
            depots.push(Depot {
                id,
                name,
                pos,
                stock: d.stock as u64,
                trucks,
                capacity,
                shift_start: d.shift_start,
                shift_end: d.shift_end,
                cost_per_km: d.cost_per_km,
                items: item_counts(&f, d.items, false)?,
            });
        }
        let mut seen = HashSet::new();
        let mut stops = Vec::with_capacity(self.stops.len());
        for (i, s) in self.stops.into_iter().enumerate() {
            let f = |name: &str| format!("stops[{i}].{name}");
            let (id, pos) = check_identity(&mut seen, &f, &s.id, s.lon, s.lat)?;
            let packages = positive_u32(f("packages"), s.packages)?;
            let window = match (s.window_start, s.window_end) {
                (None, None) => None,
                (Some(start), Some(end)) if end > start => Some(Window { start, end }),
                (Some(start), Some(end)) => {
                    return Err(PlanError::Window {
                        field: f("window_end"),
                        reason: format!("window end {end} must be after window start {start}"),
                    })
                }
                (Some(_), None) => {
                    return Err(PlanError::Window { field: f("window_end"), reason: "window start given without window end".into() })
                }
                (None, Some(_)) => {
                    return Err(PlanError::Window { field: f("window_start"), reason: "window end given without window start".into() })
                }
            };
            let depot = match &s.depot {
                None => None,
                Some(code) => Some(depots.iter().position(|d| d.id == code.trim()).ok_or_else(|| PlanError::Setting {
                    field: f("depot"),
                    reason: format!("unknown depot '{code}'"),
                })?),
            };
            let items = item_counts(&f, s.items, true)?;
            stops.push(Stop {
                id,
                name: optional_text(f("name"), s.name.as_deref(), MAX_NAME)?.and(s.name),
                pos,
                packages,
                window,
                kelurahan: optional_text(f("kelurahan"), s.kelurahan.as_deref(), MAX_NAME)?.and(s.kelurahan),
                kecamatan: optional_text(f("kecamatan"), s.kecamatan.as_deref(), MAX_NAME)?.and(s.kecamatan),
                depot,
                items,
            });
        }
        validate_frozen(&self.frozen, &depots, &stops)?;
        Ok(ValidRequest { depots, stops, settings: self.settings, days, frozen: self.frozen })
    }
}

/// Item quantities of a depot (≥ 0) or a stop (> 0), keys checked as ids, errors naming
/// `…items.<key>`.
fn item_counts(f: &dyn Fn(&str) -> String, items: BTreeMap<String, i64>, positive: bool) -> Result<BTreeMap<String, u64>, PlanError> {
    let mut out = BTreeMap::new();
    for (key, n) in items {
        let field = f(&format!("items.{key}"));
        let key = text::required(&field, &key, MAX_ID)?.to_string();
        if positive && n <= 0 {
            return Err(PlanError::NotPositive { field, value: n });
        }
        if n < 0 {
            return Err(PlanError::Negative { field, value: n });
        }
        out.insert(key, n as u64);
    }
    Ok(out)
}

/// Frozen routes name real trucks and stops. A stop may sit on several trucks of one depot (the
/// parts of a split stop on the road together), but not twice on one truck nor at two depots.
fn validate_frozen(frozen: &[FrozenRoute], depots: &[Depot], stops: &[Stop]) -> Result<(), PlanError> {
    let mut depot_of: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut trucks = HashSet::new();
    for (i, r) in frozen.iter().enumerate() {
        let Some(depot) = depots.iter().find(|d| d.id == r.depot) else {
            return Err(PlanError::Frozen { field: format!("frozen[{i}].depot"), reason: format!("unknown depot '{}'", r.depot) });
        };
        let number = truck_number(&depot.id, &r.truck);
        match number {
            Some(n) if n >= 1 && n <= depot.trucks => {}
            _ => {
                return Err(PlanError::Frozen {
                    field: format!("frozen[{i}].truck"),
                    reason: format!("'{}' is not a truck of depot {} ({}-T01..{})", r.truck, depot.id, depot.id, truck_id(&depot.id, depot.trucks)),
                })
            }
        }
        if !trucks.insert(r.truck.clone()) {
            return Err(PlanError::Frozen { field: format!("frozen[{i}].truck"), reason: format!("truck '{}' is frozen twice", r.truck) });
        }
        let mut on_truck = HashSet::new();
        for (j, s) in r.stops.iter().enumerate() {
            let field = format!("frozen[{i}].stops[{j}]");
            if !stops.iter().any(|st| &st.id == s) {
                return Err(PlanError::Frozen { field, reason: format!("unknown stop '{s}'") });
            }
            if !on_truck.insert(s.as_str()) {
                return Err(PlanError::Frozen { field, reason: format!("stop '{s}' is listed twice on truck {}", r.truck) });
            }
            match depot_of.insert(s.as_str(), r.depot.as_str()) {
                Some(other) if other != r.depot => {
                    return Err(PlanError::Frozen { field, reason: format!("stop '{s}' is frozen at two depots ({other} and {})", r.depot) })
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Truck name used in plans: depot id, "-T", two-digit number.
pub fn truck_id(depot: &str, number: u32) -> String {
    format!("{depot}-T{number:02}")
}

/// Inverse of [`truck_id`].
pub fn truck_number(depot: &str, truck: &str) -> Option<u32> {
    truck.strip_prefix(depot)?.strip_prefix("-T")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn depot(id: &str) -> DepotInput {
        DepotInput {
            id: id.into(),
            name: format!("Gudang {id}"),
            lon: 106.8272,
            lat: -6.1812,
            stock: 10_000,
            trucks: 3,
            truck_capacity: 500,
            shift_start: ClockTime::hm(7, 0),
            shift_end: ClockTime::hm(17, 0),
            cost_per_km: None,
            note: None,
            items: Default::default(),
        }
    }

    pub(crate) fn stop(id: &str, lon: f64, lat: f64, packages: i64) -> StopInput {
        StopInput { id: id.into(), lon, lat, packages, ..Default::default() }
    }

    fn request() -> PlanRequest {
        PlanRequest {
            depots: vec![depot("BKT")],
            stops: vec![stop("31.71.01.1001.001", 106.83, -6.17, 120), stop("31.71.01.1001.002", 106.84, -6.18, 80)],
            settings: PlanSettings { days: 2, ..Default::default() },
            frozen: vec![],
        }
    }

    #[test]
    fn a_good_request_validates() {
        let v = request().validate().expect("valid");
        assert_eq!(v.days, 2);
        assert_eq!(v.depots[0].capacity, 500);
        assert_eq!(v.stops[1].packages, 80);
    }

    #[test]
    fn pinned_depots_and_item_counts_are_checked() {
        let mut r = request();
        r.depots[0].items = BTreeMap::from([("MSK".to_string(), 40)]);
        r.stops[0].depot = Some("BKT".into());
        r.stops[0].items = BTreeMap::from([("MSK".to_string(), 30)]);
        let v = r.clone().validate().expect("valid");
        assert_eq!((v.stops[0].depot, v.stops[0].items.get("MSK"), v.depots[0].items.get("MSK")), (Some(0), Some(&30), Some(&40)));
        let mut bad = r.clone();
        bad.stops[1].depot = Some("XYZ".into());
        assert_eq!(bad.validate().unwrap_err().field(), "stops[1].depot");
        let mut bad = r.clone();
        bad.stops[0].items.insert("MSK".into(), 0);
        assert_eq!(bad.validate().unwrap_err().field(), "stops[0].items.MSK");
        let mut bad = r;
        bad.depots[0].items.insert("X".into(), -1);
        assert_eq!(bad.validate().unwrap_err().field(), "depots[0].items.X");
    }

    #[test]
    fn horizon_zero_is_rejected() {
        let mut r = request();
        r.settings.days = 0;
        let e = r.validate().unwrap_err();
        assert_eq!(e, PlanError::Horizon(0));
        assert_eq!(e.field(), "settings.days");
    }

    #[test]
    fn no_depots_is_rejected() {
        let mut r = request();
        r.depots.clear();
        assert_eq!(r.validate().unwrap_err(), PlanError::NoDepots);
    }

    #[test]
    fn no_stops_is_rejected() {
        let mut r = request();
        r.stops.clear();
        assert_eq!(r.validate().unwrap_err(), PlanError::NoStops);
    }

    #[test]
    fn zero_and_negative_capacity_are_rejected() {
        for bad in [0, -5] {
            let mut r = request();
            r.depots[0].truck_capacity = bad;
            let e = r.validate().unwrap_err();
            assert_eq!(e, PlanError::NotPositive { field: "depots[0].truck_capacity".into(), value: bad });
            assert!(e.to_string().contains("positive"), "{e}");
        }
    }

    #[test]
    fn zero_trucks_and_negative_stock_are_rejected() {
        let mut r = request();
        r.depots[0].trucks = 0;
        assert_eq!(r.validate().unwrap_err().field(), "depots[0].trucks");
        let mut r = request();
        r.depots[0].stock = -1;
        assert_eq!(r.validate().unwrap_err(), PlanError::Negative { field: "depots[0].stock".into(), value: -1 });
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let mut r = request();
        r.stops[1].id = r.stops[0].id.clone();
        let e = r.validate().unwrap_err();
        assert_eq!(e, PlanError::DuplicateId { field: "stops[1].id".into(), id: "31.71.01.1001.001".into() });
        let mut r = request();
        r.depots.push(depot("BKT"));
        assert_eq!(r.validate().unwrap_err().field(), "depots[1].id");
    }

    #[test]
    fn bad_coordinates_are_rejected_with_a_swap_hint() {
        let mut r = request();
        r.stops[0].lon = f64::NAN;
        assert_eq!(r.validate().unwrap_err().field(), "stops[0].lon");
        let mut r = request();
        r.stops[0].lon = -6.17;
        r.stops[0].lat = 106.83;
        let e = r.validate().unwrap_err();
        assert!(e.to_string().contains("swapped"), "{e}");
    }

    #[test]
    fn depot_outside_jakarta_is_rejected() {
        let mut r = request();
        r.depots[0].lon = 107.5; // Karawang
        assert!(matches!(r.validate().unwrap_err(), PlanError::DepotOutside { .. }));
    }

    #[test]
    fn non_positive_packages_and_bad_windows_are_rejected() {
        let mut r = request();
        r.stops[1].packages = 0;
        assert_eq!(r.validate().unwrap_err().field(), "stops[1].packages");
        let mut r = request();
        r.stops[0].window_start = Some(ClockTime::hm(12, 0));
        r.stops[0].window_end = Some(ClockTime::hm(9, 0));
        assert_eq!(r.validate().unwrap_err().field(), "stops[0].window_end");
        let mut r = request();
        r.stops[0].window_start = Some(ClockTime::hm(12, 0));
        assert_eq!(r.validate().unwrap_err().field(), "stops[0].window_end");
    }

    #[test]
    fn shift_must_end_after_start() {
        let mut r = request();
        r.depots[0].shift_end = ClockTime::hm(6, 0);
        assert_eq!(r.validate().unwrap_err().field(), "depots[0].shift_end");
    }

    #[test]
    fn bad_settings_name_their_field() {
        let mut r = request();
        r.settings.travel.speed_kmh = 0.0;
        assert_eq!(r.validate().unwrap_err().field(), "settings.travel.speed_kmh");
        let mut r = request();
        r.settings.travel.circuity = 0.5;
        assert_eq!(r.validate().unwrap_err().field(), "settings.travel.circuity");
    }

    #[test]
    fn reload_settings_are_checked_against_the_shift() {
        let mut r = request();
        r.settings.reload = ReloadSettings { max_trips: 3, reload_min: 600.0 };
        let e = r.validate().unwrap_err();
        assert_eq!(e.field(), "settings.reload.reload_min");
        assert!(e.to_string().contains("does not fit the 07:00–17:00 shift"), "{e}");
        // One trip a day never reloads, so a long reload time is harmless.
        let mut r = request();
        r.settings.reload = ReloadSettings { max_trips: 1, reload_min: 600.0 };
        assert!(r.validate().is_ok());
        let mut r = request();
        r.settings.reload.max_trips = 0;
        assert_eq!(r.validate().unwrap_err().field(), "settings.reload.max_trips");
        let mut r = request();
        r.settings.reload.reload_min = -5.0;
        assert_eq!(r.validate().unwrap_err().field(), "settings.reload.reload_min");
        let mut r = request();
        r.settings.roads.congestion[0].factor = 0.0;
        assert_eq!(r.validate().unwrap_err().field(), "settings.roads.congestion[0].factor");
        let mut r = request();
        r.settings.roads.max_snap_m = -1.0;
        assert_eq!(r.validate().unwrap_err().field(), "settings.roads.max_snap_m");
    }

    #[test]
    fn frozen_routes_must_name_known_trucks_and_stops() {
        let mut r = request();
        r.frozen = vec![FrozenRoute { depot: "BKT".into(), truck: "BKT-T09".into(), stops: vec![] }];
        assert_eq!(r.validate().unwrap_err().field(), "frozen[0].truck");
        let mut r = request();
        r.frozen = vec![FrozenRoute { depot: "BKT".into(), truck: "BKT-T01".into(), stops: vec!["nope".into()] }];
        assert_eq!(r.validate().unwrap_err().field(), "frozen[0].stops[0]");
        let id = request().stops[0].id.clone();
        let on = |truck: &str, stops: Vec<String>| FrozenRoute { depot: "BKT".into(), truck: truck.into(), stops };
        let mut r = request();
        r.frozen = vec![on("BKT-T01", vec![id.clone(), id.clone()])];
        assert!(r.validate().unwrap_err().to_string().contains("listed twice"));
        // The parts of a split stop on two trucks of one depot are fine.
        let mut r = request();
        r.frozen = vec![on("BKT-T01", vec![id.clone()]), on("BKT-T02", vec![id.clone()])];
        assert!(r.validate().is_ok());
        let mut r = request();
        r.depots.push(depot("DINSOS"));
        r.frozen = vec![on("BKT-T01", vec![id.clone()]), FrozenRoute { depot: "DINSOS".into(), truck: "DINSOS-T01".into(), stops: vec![id] }];
        assert_eq!(r.validate().unwrap_err().field(), "frozen[1].stops[0]");
    }

    #[test]
    fn free_text_is_checked_naming_the_field() {
        let mut r = request();
        r.stops[1].name = Some("RW 002\u{0}".into());
        let e = r.validate().unwrap_err();
        assert_eq!(e.field(), "stops[1].name");
        assert!(e.to_string().contains("control character"), "{e}");
        let mut r = request();
        r.depots[0].id = "BKT\u{1b}".into();
        assert_eq!(r.validate().unwrap_err().field(), "depots[0].id");
        let mut r = request();
        r.stops[0].kecamatan = Some("x".repeat(MAX_NAME + 1));
        assert_eq!(r.validate().unwrap_err().field(), "stops[0].kecamatan");
        let mut r = request();
        r.depots[0].note = Some("baris\u{7}".into());
        assert_eq!(r.validate().unwrap_err().field(), "depots[0].note");
        // Blank stays "not given", tabs and line breaks are ordinary text.
        let mut r = request();
        r.stops[0].name = Some("  ".into());
        r.depots[0].note = Some("stok per 20 Nov\n(perkiraan)".into());
        let v = r.validate().expect("valid");
        assert_eq!(v.stops[0].name, None);
    }

    #[test]
    fn unknown_fields_are_refused_at_every_level() {
        let good = serde_json::to_value(request()).unwrap();
        assert!(serde_json::from_value::<PlanRequest>(good.clone()).is_ok());
        for (pointer, key) in [("", "colour"), ("/depots/0", "truck"), ("/stops/1", "window_strat"), ("/settings", "dayz"), ("/settings/budget", "secs")] {
            let mut bad = good.clone();
            bad.pointer_mut(pointer).unwrap()[key] = 1.into();
            let e = serde_json::from_value::<PlanRequest>(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("unknown field `{key}`")), "{pointer}/{key}: {e}");
        }
    }

    #[test]
    fn clock_time_parses_and_prints() {
        assert_eq!(ClockTime::parse("07:30").unwrap(), ClockTime(27_000));
        assert_eq!(ClockTime::parse("24:00").unwrap(), ClockTime::MAX);
        assert_eq!(ClockTime(27_000).to_string(), "07:30");
        for bad in ["7", "25:00", "12:60", "aa:bb", "24:01", ""] {
            assert!(ClockTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn working_days_skip_weekends() {
        let s = PlanSettings { start_date: NaiveDate::from_ymd_opt(2026, 11, 20), ..Default::default() }; // a Friday
        assert_eq!(s.date_of(1), NaiveDate::from_ymd_opt(2026, 11, 20));
        assert_eq!(s.date_of(2), NaiveDate::from_ymd_opt(2026, 11, 23));
        assert_eq!(PlanSettings::default().date_of(1), None);
    }
}
