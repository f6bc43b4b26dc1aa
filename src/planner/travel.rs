//! Travel distances and times between points.
//!
//! The planner only sees [`TravelMatrix`], so a road-network table (OSRM, Valhalla, a matrix
//! precomputed from OpenStreetMap) can replace the great-circle estimate without touching the
//! solver. A matrix answers for a whole set of points at once because road engines are fast for
//! tables and slow for single pairs.

use geo::{Distance, Haversine, Point};

use super::model::{LonLat, TravelSettings, MAINLAND_NORTH_LIMIT};

/// One directed leg.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leg {
    pub distance_m: f64,
    pub duration_s: f64,
}

/// Legs from each of `rows` sources to each of `cols` destinations; `None` where no road
/// connects them.
#[derive(Debug, Clone)]
pub struct TravelTable {
    rows: usize,
    cols: usize,
    legs: Vec<Option<Leg>>,
}

impl TravelTable {
    pub fn from_fn(rows: usize, cols: usize, f: impl Fn(usize, usize) -> Option<Leg>) -> Self {
        let mut legs = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                legs.push(f(i, j));
            }
        }
        Self { rows, cols, legs }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn leg(&self, from: usize, to: usize) -> Option<Leg> {
        self.legs[from * self.cols + to]
    }
}

#[derive(Debug, thiserror::Error)]
#[error("travel matrix '{source_name}' failed: {reason}")]
pub struct TravelError {
    pub source_name: String,
    pub reason: String,
}

/// Source of travel distances and times.
pub trait TravelMatrix: Send + Sync {
    /// Short name shown in plan metadata ("great-circle", "osrm").
    fn name(&self) -> String;
    /// Legs from every point of `from` to every point of `to`. A source equal to its
    /// destination must give a zero leg.
    fn table(&self, from: &[LonLat], to: &[LonLat]) -> Result<TravelTable, TravelError>;
    /// Why no truck can reach `p` at all (too far from any road), when the source knows; the
    /// planner puts it in the stop's `unreachable` detail.
    fn unreachable_reason(&self, _p: LonLat) -> Option<String> {
        None
    }
    /// The driven line from `from` to `to` (road geometry), when the source has one; the plan's
    /// GeoJSON then follows the roads instead of drawing straight lines.
    fn path(&self, _from: LonLat, _to: LonLat) -> Option<Vec<LonLat>> {
        None
    }
}

/// Great-circle (haversine) distance times a circuity factor, driven at a constant speed.
///
/// Defaults (see [`TravelSettings`]): circuity 1.4, the usual ratio of road to straight-line
/// distance in dense cities; 20 km/h, a daytime truck average in Jakarta traffic. Points north of
/// -6.0 (Kepulauan Seribu) are unreachable by truck unless `mainland_only` is off.
#[derive(Debug, Clone, Copy)]
pub struct GreatCircle {
    pub settings: TravelSettings,
}

impl GreatCircle {
    pub fn new(settings: TravelSettings) -> Self {
        Self { settings }
    }

    pub fn reachable(&self, p: LonLat) -> bool {
        !self.settings.mainland_only || p.lat < MAINLAND_NORTH_LIMIT
    }

    pub fn leg(&self, a: LonLat, b: LonLat) -> Option<Leg> {
        if !self.reachable(a) || !self.reachable(b) {
            return None;
        }
        let distance_m = great_circle_m(a, b) * self.settings.circuity;
        Some(Leg { distance_m, duration_s: distance_m / (self.settings.speed_kmh / 3.6) })
    }
}

impl TravelMatrix for GreatCircle {
    fn name(&self) -> String {
        format!("great-circle x{} at {} km/h", self.settings.circuity, self.settings.speed_kmh)
    }

    fn table(&self, from: &[LonLat], to: &[LonLat]) -> Result<TravelTable, TravelError> {
        Ok(TravelTable::from_fn(from.len(), to.len(), |i, j| self.leg(from[i], to[j])))
    }
}

/// Haversine distance in metres (GRS80 mean radius).
pub fn great_circle_m(a: LonLat, b: LonLat) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monas_to_balaikota_is_about_a_kilometre() {
        // Monas and Balai Kota DKI face each other across Medan Merdeka Selatan.
        let d = great_circle_m(LonLat::new(106.8272, -6.1754), LonLat::new(106.8286, -6.1818));
        assert!((600.0..900.0).contains(&d), "{d}");
    }

    #[test]
    fn duration_follows_circuity_and_speed() {
        let gc = GreatCircle::new(TravelSettings { circuity: 1.5, speed_kmh: 36.0, mainland_only: true });
        let a = LonLat::new(106.80, -6.20);
        let b = LonLat::new(106.85, -6.25);
        let leg = gc.leg(a, b).unwrap();
        let straight = great_circle_m(a, b);
        assert!((leg.distance_m - 1.5 * straight).abs() < 1e-6);
        assert!((leg.duration_s - leg.distance_m / 10.0).abs() < 1e-6);
    }

    #[test]
    fn islands_are_unreachable_by_truck() {
        let gc = GreatCircle::new(TravelSettings::default());
        let pulau_untung_jawa = LonLat::new(106.7066, -5.9760);
        let points = [LonLat::new(106.82, -6.18), pulau_untung_jawa];
        let t = gc.table(&points, &points).unwrap();
        assert!(t.leg(0, 1).is_none());
        assert_eq!(t.leg(0, 0).map(|l| l.distance_m), Some(0.0));
        let boat = GreatCircle::new(TravelSettings { mainland_only: false, ..Default::default() });
        assert!(boat.leg(LonLat::new(106.82, -6.18), pulau_untung_jawa).is_some());
    }
}
