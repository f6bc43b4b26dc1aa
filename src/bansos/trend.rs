//! Progress over time: the daily sums of one area's records turned into a cumulative series, so
//! the public map can draw how KK served and packages received grew day by day. Pure: the store
//! gives the per-day sums (records replaced by a correction left out), this merges and adds up.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One day with records in the area; totals run up to and including that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Day {
    pub date: NaiveDate,
    /// KK served by hand-outs dated that day.
    pub kk_served: u64,
    /// Packages received by deliveries dated that day.
    pub packages_received: u64,
    /// KK served up to that day (the last day's equals the progress `served_kk`).
    pub kk_served_total: u64,
    /// Packages received up to that day.
    pub packages_received_total: u64,
}

/// Merges per-day delivery and hand-out sums (each in any order, a date at most once) into one
/// series, oldest first, with running totals. Days without a record are not listed: the chart
/// draws the steps between them.
pub fn series(deliveries: &[(NaiveDate, i64)], handouts: &[(NaiveDate, i64)]) -> Vec<Day> {
    let mut days: std::collections::BTreeMap<NaiveDate, (u64, u64)> = std::collections::BTreeMap::new();
    for &(d, v) in deliveries {
        days.entry(d).or_default().1 += v.max(0) as u64;
    }
    for &(d, v) in handouts {
        days.entry(d).or_default().0 += v.max(0) as u64;
    }
    let (mut kk, mut pk) = (0, 0);
    days.into_iter()
        .map(|(date, (kk_served, packages_received))| {
            kk += kk_served;
            pk += packages_received;
            Day { date, kk_served, packages_received, kk_served_total: kk, packages_received_total: pk }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn merges_days_and_runs_totals() {
        let s = series(&[(d(3), 40), (d(1), 10)], &[(d(2), 5), (d(3), 20)]);
        let got: Vec<_> = s.iter().map(|x| (x.date, x.kk_served, x.packages_received, x.kk_served_total, x.packages_received_total)).collect();
        assert_eq!(got, vec![(d(1), 0, 10, 0, 10), (d(2), 5, 0, 5, 10), (d(3), 20, 40, 25, 50)]);
    }

    #[test]
    fn no_records_no_days_and_negative_sums_count_as_zero() {
        assert!(series(&[], &[]).is_empty());
        // Sums are never negative in the store (CHECK >= 0); a bad one must not wrap around.
        let s = series(&[(d(1), -3)], &[]);
        assert_eq!(s[0].packages_received_total, 0);
    }
}
