//! The monthly report of Pergub 39/2019 art. 11, computed from the append-only history alone
//! (so it can be recomputed for any past month and agrees with what the units did).
//! Months are calendar months in WIB (UTC+7): the Governor's October ends at 24:00 Jakarta time.

use super::model::Status;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One history entry, as the report needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub complaint_id: i64,
    pub at: DateTime<Utc>,
    /// Holder before the event; `None` for intake.
    pub from_unit: Option<String>,
    pub to_unit: String,
    pub to_status: Status,
}

/// A calendar month in WIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("month {0:?} must be YYYY-MM (e.g. 2026-10)")]
pub struct MonthError(pub String);

impl Month {
    pub fn parse(s: &str) -> Result<Month, MonthError> {
        let err = || MonthError(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        if !(1..=12).contains(&month) || !(2000..=2100).contains(&year) {
            return Err(err());
        }
        Ok(Month { year, month })
    }

    fn wib() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap_or(Utc.fix())
    }

    fn start_of(year: i32, month: u32) -> DateTime<Utc> {
        let d = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
        Month::wib()
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    /// First instant of the month (inclusive), UTC.
    pub fn start(self) -> DateTime<Utc> {
        Month::start_of(self.year, self.month)
    }

    /// First instant after the month (exclusive), UTC.
    pub fn end(self) -> DateTime<Utc> {
        let (y, m) = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        Month::start_of(y, m)
    }

    pub fn of(t: DateTime<Utc>) -> Month {
        let l = t.with_timezone(&Month::wib());
        Month { year: l.year(), month: l.month() }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One unit's line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UnitRow {
    pub unit: String,
    pub nama: Option<String>,
    /// New complaints routed to the unit at intake this month.
    pub diterima: u64,
    pub diteruskan_masuk: u64,
    pub diteruskan_keluar: u64,
    pub selesai: u64,
    /// Held by the unit and not closed at the end of the month.
    pub terbuka: u64,
    /// Median hours from arrival in the unit's queue (intake or forward) to the unit's first action,
    /// over arrivals this month that were acted on before the month ended.
    pub median_jam_tindakan_pertama: Option<f64>,
    /// Median hours from intake to `selesai`, over complaints the unit closed this month.
    pub median_jam_penyelesaian: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub bulan: String,
    pub zona_waktu: &'static str,
    pub units: Vec<UnitRow>,
}

#[derive(Default)]
struct Acc {
    diterima: u64,
    masuk: u64,
    keluar: u64,
    selesai: u64,
    terbuka: u64,
    first: Vec<f64>,
    resolve: Vec<f64>,
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let m = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    Some((m * 100.0).round() / 100.0)
}

fn hours(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_seconds() as f64 / 3600.0
}

/// Aggregates `events` (any order; those at or after the month's end are ignored) per unit.
pub fn monthly(events: &[Event], month: Month) -> Report {
    let (start, end) = (month.start(), month.end());
    let in_month = |t: DateTime<Utc>| t >= start && t < end;
    let mut by_complaint: BTreeMap<i64, Vec<&Event>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.at < end) {
        by_complaint.entry(e.complaint_id).or_default().push(e);
    }
    let mut acc: HashMap<String, Acc> = HashMap::new();
    for evs in by_complaint.values_mut() {
        evs.sort_by_key(|e| e.at);
        let created = evs[0].at;
        let mut pending: HashMap<&str, DateTime<Utc>> = HashMap::new();
        let mut holder: &str = &evs[0].to_unit;
        let mut status = evs[0].to_status;
        for e in evs.iter() {
            match &e.from_unit {
                None => {
                    if in_month(e.at) {
                        acc.entry(e.to_unit.clone()).or_default().diterima += 1;
                    }
                    pending.insert(&e.to_unit, e.at);
                }
                Some(from) => {
                    if let Some(arrived) = pending.remove(from.as_str()) {
                        if in_month(arrived) {
                            acc.entry(from.clone()).or_default().first.push(hours(arrived, e.at));
                        }
                    }
                    if *from != e.to_unit {
                        if in_month(e.at) {
                            acc.entry(from.clone()).or_default().keluar += 1;
                            acc.entry(e.to_unit.clone()).or_default().masuk += 1;
                        }
                        pending.insert(&e.to_unit, e.at);
                    }
                    if e.to_status == Status::Selesai && in_month(e.at) {
                        let a = acc.entry(from.clone()).or_default();
                        a.selesai += 1;
                        a.resolve.push(hours(created, e.at));
                    }
                }
            }
            holder = &e.to_unit;
            status = e.to_status;
        }
        if !status.is_terminal() {
            acc.entry(holder.to_string()).or_default().terbuka += 1;
        }
    }
    let mut units: Vec<UnitRow> = acc
        .into_iter()
        .map(|(unit, mut a)| UnitRow {
            unit,
            nama: None,
            diterima: a.diterima,
            diteruskan_masuk: a.masuk,
            diteruskan_keluar: a.keluar,
            selesai: a.selesai,
            terbuka: a.terbuka,
            median_jam_tindakan_pertama: median(&mut a.first),
            median_jam_penyelesaian: median(&mut a.resolve),
        })
        .collect();
    units.sort_by(|a, b| a.unit.cmp(&b.unit));
    Report { bulan: month.to_string(), zona_waktu: "WIB (UTC+7)", units }
}

/// The report as CSV (one line per unit; empty cells where a median has no data).
pub fn to_csv(r: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "bulan", "unit", "nama", "diterima", "diteruskan_masuk", "diteruskan_keluar", "selesai", "terbuka",
        "median_jam_tindakan_pertama", "median_jam_penyelesaian",
    ])?;
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_default();
    for u in &r.units {
        w.write_record([
            r.bulan.clone(),
            u.unit.clone(),
            u.nama.clone().unwrap_or_default(),
            u.diterima.to_string(),
            u.diteruskan_masuk.to_string(),
            u.diteruskan_keluar.to_string(),
            u.selesai.to_string(),
            u.terbuka.to_string(),
            opt(u.median_jam_tindakan_pertama),
            opt(u.median_jam_penyelesaian),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn ev(id: i64, at: &str, from: Option<&str>, to: &str, st: Status) -> Event {
        Event { complaint_id: id, at: t(at), from_unit: from.map(String::from), to_unit: to.into(), to_status: st }
    }

    #[test]
    fn month_bounds_are_wib_and_bad_months_are_refused() {
        let m = Month::parse("2026-10").unwrap();
        assert_eq!(m.start(), t("2026-09-30T17:00:00Z"));
        assert_eq!(m.end(), t("2026-10-31T17:00:00Z"));
        assert_eq!(Month::parse("2026-12").unwrap().end(), t("2026-12-31T17:00:00Z"));
        assert_eq!(Month::of(t("2026-10-31T18:00:00Z")), Month::parse("2026-11").unwrap());
        for bad in ["2026-13", "2026-1", "26-10", "oktober", "2026-00", ""] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_forwards_resolutions_open_and_medians_per_unit() {
        use Status::*;
        let events = vec![
            // 1: kelurahan A gets it, works 2 h later, closes 10 h after intake.
            ev(1, "2026-10-05T01:00:00Z", None, "A", Assigned),
            ev(1, "2026-10-05T03:00:00Z", Some("A"), "A", DalamProses),
            ev(1, "2026-10-05T11:00:00Z", Some("A"), "A", Selesai),
            // 2: A forwards to dinas-sda after 4 h (bukan kewenangan); still open at month end.
            ev(2, "2026-10-06T00:00:00Z", None, "A", Assigned),
            ev(2, "2026-10-06T04:00:00Z", Some("A"), "dinas-sda", Assigned),
            // 3: channel owner queue, forwarded to B after 1 h, B closes next month.
            ev(3, "2026-10-07T00:00:00Z", None, "upjsc", Diterima),
            ev(3, "2026-10-07T01:00:00Z", Some("upjsc"), "B", Assigned),
            ev(3, "2026-11-02T00:00:00Z", Some("B"), "B", DalamProses),
            // 4: September intake, still open in October at A.
            ev(4, "2026-09-20T00:00:00Z", None, "A", Assigned),
            // 5: intake at 23:30 WIB 31 Oct = 16:30Z belongs to October; at 00:30 WIB 1 Nov not.
            ev(5, "2026-10-31T16:30:00Z", None, "B", Assigned),
            ev(6, "2026-10-31T17:30:00Z", None, "B", Assigned),
        ];
        let r = monthly(&events, Month::parse("2026-10").unwrap());
        let row = |u: &str| r.units.iter().find(|x| x.unit == u).cloned().unwrap();
        let a = row("A");
        assert_eq!((a.diterima, a.diteruskan_masuk, a.diteruskan_keluar, a.selesai, a.terbuka), (2, 0, 1, 1, 1));
        assert_eq!(a.median_jam_tindakan_pertama, Some(3.0), "2 h and 4 h");
        assert_eq!(a.median_jam_penyelesaian, Some(10.0));
        let s = row("dinas-sda");
        assert_eq!((s.diterima, s.diteruskan_masuk, s.terbuka, s.median_jam_tindakan_pertama), (0, 1, 1, None));
        let b = row("B");
        assert_eq!((b.diterima, b.diteruskan_masuk, b.terbuka), (1, 1, 2), "complaint 6 is November");
        assert_eq!(b.median_jam_tindakan_pertama, None, "B acted only in November");
        let u = row("upjsc");
        assert_eq!((u.diterima, u.diteruskan_keluar, u.terbuka, u.median_jam_tindakan_pertama), (1, 1, 0, Some(1.0)));
        let csv = to_csv(&r).unwrap();
        assert!(csv.lines().next().unwrap().starts_with("bulan,unit,nama,diterima"));
        assert!(csv.contains("2026-10,A,,2,0,1,1,1,3.00,10.00"), "{csv}");
        assert_eq!(csv.lines().count(), 1 + r.units.len());
    }
}
