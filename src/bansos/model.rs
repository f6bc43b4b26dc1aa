//! Distribution records as plain values, and the checks every record passes before it is stored.
//!
//! Package accounting follows the Jakarta PSBB mechanism (seed 001, B.1): packages arrive at the
//! RW drop point with a BAST, are counted and checked; short and damaged packages go back to the
//! Penyedia Barang; the RW hands the good ones to households (one package per KK). B.2 adds that
//! packages meant for ineligible households are taken back by the provider too, so `returned`
//! may exceed `damaged`: the excess comes out of the good packages.

use crate::wilayah::{AreaCode, CodeError, Level};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Largest count accepted in one record: a truck-load per RW, far above any real drop.
pub const MAX_COUNT: i64 = 1_000_000;
/// Longest provider name or BAST reference.
pub const MAX_TEXT: usize = 200;

/// Why a record or an import was refused. `field` names the request field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    /// The value itself is malformed or out of range.
    #[error("{detail}")]
    Invalid { field: String, detail: String },
    /// The value is well-formed but the totals it would create are impossible.
    #[error("{detail}")]
    Exceeds { field: String, detail: String },
    /// The record to correct does not exist (or is of another RW).
    #[error("{detail}")]
    NotFound { field: String, detail: String },
    /// The record to correct was already corrected: correct the newest one.
    #[error("{detail}")]
    Conflict { field: String, detail: String },
}

impl RecordError {
    pub fn invalid(field: &str, detail: impl Into<String>) -> RecordError {
        RecordError::Invalid { field: field.into(), detail: detail.into() }
    }

    pub fn exceeds(field: &str, detail: impl Into<String>) -> RecordError {
        RecordError::Exceeds { field: field.into(), detail: detail.into() }
    }

    pub fn field(&self) -> &str {
        match self {
            RecordError::Invalid { field, .. }
            | RecordError::Exceeds { field, .. }
            | RecordError::NotFound { field, .. }
            | RecordError::Conflict { field, .. } => field,
        }
    }
}

/// Counts of one delivery to an RW drop point, as checked against its BAST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackageCounts {
    /// Packages on the BAST sent by the Penyedia Barang.
    pub sent: u32,
    /// Packages that arrived in good condition.
    pub received: u32,
    /// Packages that arrived damaged (go back to the provider).
    pub damaged: u32,
    /// Packages on the BAST that did not arrive.
    pub short: u32,
    /// Packages handed back to the provider: damaged ones first, then surplus good ones.
    pub returned: u32,
}

impl PackageCounts {
    /// Good packages left at the RW for households.
    pub fn usable(&self) -> u64 {
        let surplus_returned = self.returned.saturating_sub(self.damaged);
        u64::from(self.received.saturating_sub(surplus_returned))
    }
}

fn count(field: &str, v: i64) -> Result<u32, RecordError> {
    if v < 0 {
        return Err(RecordError::invalid(field, format!("{field} is {v}; counts cannot be negative")));
    }
    if v > MAX_COUNT {
        return Err(RecordError::invalid(field, format!("{field} is {v}; more than {MAX_COUNT} in one record is not plausible")));
    }
    Ok(v as u32)
}

/// Checks the raw counts of a delivery. `void` allows all zeros (a correction that cancels a record).
pub fn check_counts(sent: i64, received: i64, damaged: i64, short: i64, returned: i64, void_allowed: bool) -> Result<PackageCounts, RecordError> {
    let c = PackageCounts {
        sent: count("packages_sent", sent)?,
        received: count("packages_received", received)?,
        damaged: count("packages_damaged", damaged)?,
        short: count("packages_short", short)?,
        returned: count("packages_returned", returned)?,
    };
    if c.sent == 0 && !void_allowed {
        return Err(RecordError::invalid("packages_sent", "packages_sent must be at least 1 (only a correction may be all zeros)"));
    }
    if c.received > c.sent {
        return Err(RecordError::exceeds("packages_received", format!("packages_received ({}) exceeds packages_sent ({})", c.received, c.sent)));
    }
    let accounted = u64::from(c.received) + u64::from(c.damaged) + u64::from(c.short);
    if accounted != u64::from(c.sent) {
        return Err(RecordError::exceeds(
            "packages_short",
            format!(
                "received {} + damaged {} + short {} = {accounted}, but the BAST says {} sent; every package sent must be received, damaged or short",
                c.received, c.damaged, c.short, c.sent
            ),
        ));
    }
    if u64::from(c.returned) > u64::from(c.received) + u64::from(c.damaged) {
        return Err(RecordError::exceeds(
            "packages_returned",
            format!("packages_returned ({}) exceeds the {} packages that arrived (received + damaged)", c.returned, c.received + c.damaged),
        ));
    }
    Ok(c)
}

/// Parses an RW code, naming `field` in the error.
pub fn parse_rw(field: &str, s: &str) -> Result<AreaCode, RecordError> {
    let code = AreaCode::parse(s).map_err(|e: CodeError| RecordError::invalid(field, e.to_string()))?;
    if code.level() != Level::Rw {
        return Err(RecordError::invalid(field, format!("{code} is a {}, not an RW (expected e.g. 31.71.01.1001.008)", code.level())));
    }
    Ok(code)
}

/// Parses a record date (YYYY-MM-DD) that is not after `today` (Jakarta time).
pub fn parse_date(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, RecordError> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| RecordError::invalid(field, format!("{field} {s:?} is not a date (YYYY-MM-DD)")))?;
    if d > today {
        return Err(RecordError::invalid(field, format!("{field} {d} is in the future (today is {today} in Jakarta)")));
    }
    if d < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN) {
        return Err(RecordError::invalid(field, format!("{field} {d} is before 2000")));
    }
    Ok(d)
}

/// Trims a required short text.
pub fn parse_text(field: &str, s: &str) -> Result<String, RecordError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(RecordError::invalid(field, format!("{field} is required")));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(RecordError::invalid(field, format!("{field} is longer than {MAX_TEXT} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(RecordError::invalid(field, format!("{field} contains control characters")));
    }
    Ok(t.to_string())
}

/// Today's date in Jakarta (UTC+7, no daylight saving).
pub fn jakarta_today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}

/// A checked delivery, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub rw: AreaCode,
    pub date: NaiveDate,
    pub provider: String,
    pub bast_ref: String,
    pub counts: PackageCounts,
    pub corrects: Option<i64>,
}

/// A checked hand-out, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHandout {
    pub rw: AreaCode,
    pub date: NaiveDate,
    pub kk_served: u32,
    pub corrects: Option<i64>,
}

/// Request body of `POST /api/v1/bansos/deliveries`. Counts are signed so a negative number
/// gets a clear error naming the field rather than a type error.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryInput {
    /// RW code, e.g. 31.71.01.1001.008
    pub rw: String,
    /// Date of the BAST, YYYY-MM-DD
    pub date: String,
    /// Penyedia Barang
    pub provider: String,
    /// BAST reference number
    pub bast_ref: String,
    pub packages_sent: i64,
    pub packages_received: i64,
    #[serde(default)]
    pub packages_damaged: i64,
    #[serde(default)]
    pub packages_short: i64,
    #[serde(default)]
    pub packages_returned: i64,
    /// Id of the delivery this record corrects (it then replaces that one in all totals).
    #[serde(default)]
    pub corrects: Option<i64>,
}

impl DeliveryInput {
    pub fn check(&self, today: NaiveDate) -> Result<NewDelivery, RecordError> {
        Ok(NewDelivery {
            rw: parse_rw("rw", &self.rw)?,
            date: parse_date("date", &self.date, today)?,
            provider: parse_text("provider", &self.provider)?,
            bast_ref: parse_text("bast_ref", &self.bast_ref)?,
            counts: check_counts(
                self.packages_sent,
                self.packages_received,
                self.packages_damaged,
                self.packages_short,
                self.packages_returned,
                self.corrects.is_some(),
            )?,
            corrects: check_corrects(self.corrects)?,
        })
    }
}

/// Request body of `POST /api/v1/bansos/handouts`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoutInput {
    pub rw: String,
    pub date: String,
    /// Households (KK) that received a package.
    pub kk_served: i64,
    /// Id of the hand-out this record corrects.
    #[serde(default)]
    pub corrects: Option<i64>,
}

impl HandoutInput {
    pub fn check(&self, today: NaiveDate) -> Result<NewHandout, RecordError> {
        let kk = count("kk_served", self.kk_served)?;
        if kk == 0 && self.corrects.is_none() {
            return Err(RecordError::invalid("kk_served", "kk_served must be at least 1 (only a correction may be 0)"));
        }
        Ok(NewHandout {
            rw: parse_rw("rw", &self.rw)?,
            date: parse_date("date", &self.date, today)?,
            kk_served: kk,
            corrects: check_corrects(self.corrects)?,
        })
    }
}

fn check_corrects(c: Option<i64>) -> Result<Option<i64>, RecordError> {
    match c {
        Some(id) if id <= 0 => Err(RecordError::invalid("corrects", format!("corrects must be a record id (≥ 1), not {id}"))),
        other => Ok(other),
    }
}

/// What one RW has on record, counting only records not replaced by a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RwLedger {
    pub target_kk: u64,
    pub usable: u64,
    pub served: u64,
}

/// The invariants every write must keep: KK served ≤ good packages received, and ≤ target.
/// `field` is the request field blamed when the new totals break them.
pub fn check_ledger(rw: &AreaCode, after: RwLedger, field: &str) -> Result<(), RecordError> {
    if after.served > after.usable {
        return Err(RecordError::exceeds(
            field,
            format!("RW {rw} would have {} KK served but only {} good packages received", after.served, after.usable),
        ));
    }
    if after.served > after.target_kk {
        return Err(RecordError::exceeds(field, format!("RW {rw} would have {} KK served, above its target of {} KK", after.served, after.target_kk)));
    }
    Ok(())
}

/// One line of a targets CSV, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub rw: AreaCode,
    pub target_kk: u32,
}

/// Parses a targets CSV (`rw,target_kk[,generated]`). Every bad line is reported (with its line
/// number), so a file can be fixed in one pass. `known` says whether an RW exists.
pub fn parse_targets(text: &str, known: &dyn Fn(&AreaCode) -> bool) -> Result<(Vec<Target>, bool), Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.iter().map(|h| h.to_ascii_lowercase()).collect::<Vec<_>>(),
        Err(e) => return Err(vec![format!("cannot read the header: {e}")]),
    };
    let (rw_col, kk_col) = match (headers.iter().position(|h| h == "rw"), headers.iter().position(|h| h == "target_kk")) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(vec![format!("header must have columns rw,target_kk (found {})", headers.join(","))]),
    };
    let gen_col = headers.iter().position(|h| h == "generated");
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut generated = false;
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let raw = rec.get(rw_col).unwrap_or("");
        let rw = match parse_rw("rw", raw) {
            Ok(c) => c,
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        if !known(&rw) {
            errors.push(format!("line {line}: unknown RW {rw} (not in the loaded boundaries)"));
        }
        let kk_raw = rec.get(kk_col).unwrap_or("");
        let kk = match kk_raw.parse::<i64>() {
            Ok(v) if v < 0 => Err(format!("target_kk is {v}; cannot be negative")),
            Ok(v) if v > MAX_COUNT => Err(format!("target_kk is {v}; more than {MAX_COUNT} KK in one RW is not plausible")),
            Ok(v) => Ok(v as u32),
            Err(_) => Err(format!("target_kk {kk_raw:?} is not a whole number")),
        };
        if let Some(g) = gen_col {
            generated |= matches!(rec.get(g).unwrap_or("").to_ascii_lowercase().as_str(), "true" | "1" | "yes");
        }
        if let Some(first) = seen.insert(rw.clone(), line) {
            errors.push(format!("line {line}: RW {rw} appears again (first on line {first})"));
        }
        match kk {
            Ok(target_kk) => out.push(Target { rw, target_kk }),
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push("no targets in the file".into());
    }
    if errors.is_empty() {
        Ok((out, generated))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn delivery() -> DeliveryInput {
        DeliveryInput {
            rw: "31.71.01.1001.008".into(),
            date: "2026-11-20".into(),
            provider: "Penyedia A".into(),
            bast_ref: "BAST/1".into(),
            packages_sent: 100,
            packages_received: 98,
            packages_damaged: 1,
            packages_short: 1,
            packages_returned: 1,
            corrects: None,
        }
    }

    #[test]
    fn contract_example_is_accepted_and_usable_counts_good_packages() {
        let d = delivery().check(today()).unwrap();
        assert_eq!(d.counts.usable(), 98, "the returned package is the damaged one");
        let surplus = check_counts(10, 10, 0, 0, 3, false).unwrap();
        assert_eq!(surplus.usable(), 7, "good packages taken back by the provider are not usable");
    }

    /// A change that spoils one field of a good delivery, and the field the error must name.
    type Spoil = (fn(&mut DeliveryInput), &'static str);

    #[test]
    fn bad_counts_name_their_field() {
        let cases: Vec<Spoil> = vec![
            (|d| d.packages_sent = -1, "packages_sent"),
            (|d| d.packages_damaged = -5, "packages_damaged"),
            (|d| d.packages_received = 101, "packages_received"),
            (|d| d.packages_short = 5, "packages_short"),
            (|d| d.packages_returned = 100, "packages_returned"),
            (|d| d.packages_sent = MAX_COUNT + 1, "packages_sent"),
            (|d| d.rw = "31.71.01.1001".into(), "rw"),
            (|d| d.rw = "32.71.01.1001.001".into(), "rw"),
            (|d| d.date = "20-11-2026".into(), "date"),
            (|d| d.date = "2026-11-24".into(), "date"),
            (|d| d.provider = "  ".into(), "provider"),
            (|d| d.bast_ref = "x".repeat(201), "bast_ref"),
            (|d| d.corrects = Some(0), "corrects"),
        ];
        for (mutate, field) in cases {
            let mut d = delivery();
            mutate(&mut d);
            let err = d.check(today()).unwrap_err();
            assert_eq!(err.field(), field, "{err}");
        }
    }

    #[test]
    fn only_a_correction_may_be_zero() {
        let mut d = delivery();
        (d.packages_sent, d.packages_received, d.packages_damaged, d.packages_short, d.packages_returned) = (0, 0, 0, 0, 0);
        assert_eq!(d.check(today()).unwrap_err().field(), "packages_sent");
        d.corrects = Some(3);
        assert_eq!(d.check(today()).unwrap().counts, PackageCounts::default());
        let h = HandoutInput { rw: "31.71.01.1001.008".into(), date: "2026-11-20".into(), kk_served: 0, corrects: None };
        assert_eq!(h.check(today()).unwrap_err().field(), "kk_served");
        let neg = HandoutInput { kk_served: -2, ..h.clone() };
        assert_eq!(neg.check(today()).unwrap_err().field(), "kk_served");
        assert!(HandoutInput { corrects: Some(1), ..h }.check(today()).is_ok());
    }

    #[test]
    fn ledger_keeps_served_within_packages_and_target() {
        let rw = AreaCode::parse("31.71.01.1001.008").unwrap();
        assert!(check_ledger(&rw, RwLedger { target_kk: 50, usable: 40, served: 40 }, "kk_served").is_ok());
        let over_packages = check_ledger(&rw, RwLedger { target_kk: 50, usable: 40, served: 41 }, "kk_served").unwrap_err();
        assert!(matches!(over_packages, RecordError::Exceeds { .. }));
        assert!(over_packages.to_string().contains("40 good packages"), "{over_packages}");
        let over_target = check_ledger(&rw, RwLedger { target_kk: 30, usable: 40, served: 31 }, "kk_served").unwrap_err();
        assert!(over_target.to_string().contains("target of 30"), "{over_target}");
    }

    #[test]
    fn targets_csv_reports_every_bad_line() {
        let known = |c: &AreaCode| c.as_str() != "31.71.01.1001.099";
        let ok = parse_targets("rw,target_kk\n31.71.01.1001.001,10\n31.71.01.1001.002, 0\n", &known).unwrap();
        assert_eq!(ok.0.len(), 2);
        assert_eq!(ok.0[1].target_kk, 0);
        assert!(!ok.1);
        let errs = parse_targets(
            "rw,target_kk\n31.71.01.1001.001,10\n31.71.01.1001.099,5\n31.71.01.1001.002,-3\n31.71.01.1001.001,4\n31.71.01,7\n31.71.01.1001.003,abc\n",
            &known,
        )
        .unwrap_err();
        assert_eq!(errs.len(), 5, "{errs:?}");
        assert!(errs[0].starts_with("line 3: unknown RW 31.71.01.1001.099"), "{errs:?}");
        assert!(errs[1].contains("line 4") && errs[1].contains("negative"), "{errs:?}");
        assert!(errs[2].contains("line 5") && errs[2].contains("first on line 2"), "{errs:?}");
        assert!(errs[3].contains("line 6") && errs[3].contains("not an RW"), "{errs:?}");
        assert!(errs[4].contains("line 7") && errs[4].contains("whole number"), "{errs:?}");
        assert!(parse_targets("kode,kk\n1,2\n", &known).unwrap_err()[0].contains("rw,target_kk"));
        assert!(parse_targets("rw,target_kk\n", &known).unwrap_err()[0].contains("no targets"));
        let gen = parse_targets("rw,target_kk,generated\n31.71.01.1001.001,10,true\n", &known).unwrap();
        assert!(gen.1);
    }
}
