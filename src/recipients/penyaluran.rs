//! Hand-out by name (penyaluran, seed 001 B.1–B.2): at the RW's point the package goes to a
//! household of the decree (SK), named, on a date, by a token's holder; the package of a household
//! not at the location (`tidak_di_lokasi`) or found not to be a proper recipient (`tidak_layak`,
//! "warga mampu yang bukan objek penerima") is taken back (`ditarik`) and reported to Dinsos.
//! Pure values and checks; the writes are `ops::hand_out`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most records in one request (a page of the RW's list).
pub const MAX_ITEMS: usize = 500;
/// Highest round (putaran) accepted.
pub const MAX_PUTARAN: i64 = 100;

/// What happened to a household's package in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The household received its package.
    Diterima,
    /// The package was taken back (seed 001 B.2: the kelurahan has the provider collect it).
    Ditarik,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Diterima => "diterima",
            Status::Ditarik => "ditarik",
        }
    }
}

/// Why a package was taken back (seed 001 B.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlasanTarik {
    /// "tidak berada di lokasi": the household was not there.
    TidakDiLokasi,
    /// "warga mampu yang bukan objek penerima", or no longer on the accepted list.
    TidakLayak,
}

impl AlasanTarik {
    pub fn as_str(self) -> &'static str {
        match self {
            AlasanTarik::TidakDiLokasi => "tidak_di_lokasi",
            AlasanTarik::TidakLayak => "tidak_layak",
        }
    }
}

/// One household's package in a hand-out request.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PenyaluranItem {
    pub household_id: i64,
    pub status: Status,
    /// Required for `ditarik`, refused for `diterima`.
    #[serde(default)]
    pub alasan: Option<AlasanTarik>,
    /// A note (who was absent, what was found), optional.
    #[serde(default)]
    pub keterangan: Option<String>,
}

/// Request body of `POST /api/v1/recipients/handouts`: a page of households of the current SK
/// (1 to 500), all or none.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PenyaluranInput {
    /// The round (putaran, 1…100): a household receives at most once per round.
    pub putaran: i64,
    /// The day of the hand-out (YYYY-MM-DD, not in the future, Jakarta time).
    pub tanggal: NaiveDate,
    /// Who handed the packages out at the point (e.g. "Ketua RT 003"), optional; the token's
    /// holder is recorded anyway.
    #[serde(default)]
    pub petugas: Option<String>,
    pub items: Vec<PenyaluranItem>,
}

/// One checked record: household, status, reason taken back, note.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub household_id: i64,
    pub status: Status,
    pub alasan: Option<AlasanTarik>,
    pub keterangan: Option<String>,
}

impl PenyaluranInput {
    /// The records with their fields checked (`today` in Jakarta); errors name the field
    /// (`items[3].alasan`). Returns the petugas and the records.
    pub fn check(&self, today: NaiveDate) -> Result<(Option<String>, Vec<Checked>), (String, String)> {
        if !(1..=MAX_PUTARAN).contains(&self.putaran) {
            return Err(("putaran".into(), format!("putaran {} must be 1..={MAX_PUTARAN}", self.putaran)));
        }
        if self.tanggal > today {
            return Err(("tanggal".into(), format!("tanggal {} is in the future (today in Jakarta is {today})", self.tanggal)));
        }
        let petugas = crate::text::optional("petugas", self.petugas.as_deref(), 200).map_err(|e| (e.field().to_string(), e.to_string()))?.map(str::to_string);
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(("items".into(), format!("items must hold 1 to {MAX_ITEMS} households (got {})", self.items.len())));
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(self.items.len());
        for (i, it) in self.items.iter().enumerate() {
            let f = |n: &str| format!("items[{i}].{n}");
            if !seen.insert(it.household_id) {
                return Err((f("household_id"), format!("household {} appears twice in one request", it.household_id)));
            }
            match (it.status, it.alasan) {
                (Status::Diterima, Some(_)) => return Err((f("alasan"), "a package received has no reason to take it back: leave alasan out".into())),
                (Status::Ditarik, None) => return Err((f("alasan"), "a package taken back needs its reason: tidak_di_lokasi or tidak_layak".into())),
                _ => {}
            }
            let keterangan = crate::text::optional(&f("keterangan"), it.keterangan.as_deref(), 500).map_err(|e| (e.field().to_string(), e.to_string()))?.map(str::to_string);
            out.push(Checked { household_id: it.household_id, status: it.status, alasan: it.alasan, keterangan });
        }
        Ok((petugas, out))
    }
}

/// Request body of `POST /api/v1/recipients/handouts/{id}/koreksi`: a hand-out recorded against
/// the wrong household is voided with the reason and, when `household_id` names the household
/// that did receive (or whose package was taken back), recorded for that one instead.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KoreksiInput {
    /// Why the record is wrong (required, kept with the voided record and in the audit).
    pub alasan: String,
    /// The household of the current SK the package went to instead; absent: void only.
    #[serde(default)]
    pub household_id: Option<i64>,
}

/// A checked correction: the reason trimmed, the household named instead (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct Koreksi {
    pub alasan: String,
    pub household_id: Option<i64>,
}

impl KoreksiInput {
    /// Errors name the field (`alasan`: empty, too long, control characters).
    pub fn check(&self) -> Result<Koreksi, (String, String)> {
        let alasan = crate::text::required("alasan", &self.alasan, 500).map_err(|e| (e.field().to_string(), e.to_string()))?.to_string();
        Ok(Koreksi { alasan, household_id: self.household_id })
    }
}

/// Whether a household may receive its package now: still on the accepted list (not a
/// duplicate, `layak`, accepted by its Lurah). `Err` says why not (then it is taken back,
/// `tidak_layak`).
pub fn may_receive(duplikat: bool, kelayakan: Option<&str>, verifikasi: Option<&str>) -> Result<(), String> {
    if duplikat {
        return Err("it was marked a duplicate after the decree".into());
    }
    if kelayakan != Some("layak") {
        return Err(format!("it is no longer layak ({})", kelayakan.unwrap_or("not assessed")));
    }
    if verifikasi != Some("diterima_lurah") {
        return Err(format!("it is no longer accepted by its Lurah ({})", verifikasi.unwrap_or("not verified")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn input(items: serde_json::Value) -> PenyaluranInput {
        serde_json::from_value(serde_json::json!({"putaran": 1, "tanggal": "2026-04-25", "items": items})).unwrap()
    }

    #[test]
    fn a_page_is_checked_field_by_field() {
        let today = day("2026-04-26");
        let ok = input(serde_json::json!([{"household_id": 1, "status": "diterima"}, {"household_id": 2, "status": "ditarik", "alasan": "tidak_di_lokasi", "keterangan": " mudik "}]));
        let (petugas, items) = ok.check(today).unwrap();
        assert_eq!(petugas, None);
        assert_eq!(items[1].keterangan.as_deref(), Some("mudik"));
        let field = |v: serde_json::Value| input(v).check(today).unwrap_err().0;
        assert_eq!(field(serde_json::json!([])), "items");
        assert_eq!(field(serde_json::json!([{"household_id": 1, "status": "diterima", "alasan": "tidak_layak"}])), "items[0].alasan");
        assert_eq!(field(serde_json::json!([{"household_id": 1, "status": "diterima"}, {"household_id": 2, "status": "ditarik"}])), "items[1].alasan");
        assert_eq!(field(serde_json::json!([{"household_id": 1, "status": "diterima"}, {"household_id": 1, "status": "diterima"}])), "items[1].household_id");
        assert_eq!(field(serde_json::json!([{"household_id": 1, "status": "ditarik", "alasan": "tidak_layak", "keterangan": "a\u{0}b"}])), "items[0].keterangan");
        let mut bad = ok.clone();
        bad.putaran = 0;
        assert_eq!(bad.check(today).unwrap_err().0, "putaran");
        assert_eq!(ok.check(day("2026-04-24")).unwrap_err().0, "tanggal");
        let mut bad = ok;
        bad.petugas = Some("RT\u{7}".into());
        assert_eq!(bad.check(today).unwrap_err().0, "petugas");
    }

    #[test]
    fn a_correction_needs_its_reason() {
        let k = |v: serde_json::Value| serde_json::from_value::<KoreksiInput>(v).unwrap().check();
        assert_eq!(k(serde_json::json!({"alasan": " salah KK ", "household_id": 3})).unwrap(), Koreksi { alasan: "salah KK".into(), household_id: Some(3) });
        assert_eq!(k(serde_json::json!({"alasan": "salah KK"})).unwrap().household_id, None);
        assert_eq!(k(serde_json::json!({"alasan": "  "})).unwrap_err().0, "alasan");
        assert_eq!(k(serde_json::json!({"alasan": "a\u{0}b"})).unwrap_err().0, "alasan");
        assert!(serde_json::from_value::<KoreksiInput>(serde_json::json!({"household_id": 3})).is_err(), "alasan is required");
    }

    #[test]
    fn only_households_still_accepted_receive() {
        assert!(may_receive(false, Some("layak"), Some("diterima_lurah")).is_ok());
        assert!(may_receive(true, Some("layak"), Some("diterima_lurah")).unwrap_err().contains("duplicate"));
        assert!(may_receive(false, Some("tidak_layak"), Some("diterima_lurah")).unwrap_err().contains("tidak_layak"));
        assert!(may_receive(false, Some("layak"), Some("ditolak_lurah")).unwrap_err().contains("ditolak_lurah"));
    }
}
