//! Verification by RW and Lurah (seed 001 A: "RW melakukan verifikasi kelayakan data", the Lurah
//! receives the result; "Data Diterima / Data Tidak Diterima") and the return of refused households
//! to the kecamatan (seed 002 step 4: "tidak sesuai kriteria data dikembalikan ke Kecamatan"), as
//! a pure state rule.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who decides: the RW first, then the Lurah (an admin acts at the Lurah's step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tahap {
    Rw,
    Lurah,
}

impl Tahap {
    pub fn as_str(self) -> &'static str {
        match self {
            Tahap::Rw => "rw",
            Tahap::Lurah => "lurah",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Putusan {
    Diterima,
    Ditolak,
    /// Returned to the kecamatan (only a refused household, only by the Lurah).
    Dikembalikan,
}

impl Putusan {
    pub fn as_str(self) -> &'static str {
        match self {
            Putusan::Diterima => "diterima",
            Putusan::Ditolak => "ditolak",
            Putusan::Dikembalikan => "dikembalikan",
        }
    }
}

/// The state after a decision, or why the decision is refused. `state` is the household's
/// current `verifikasi` (None: not verified yet), `kelayakan` its eligibility.
pub fn next(tahap: Tahap, state: Option<&str>, kelayakan: Option<&str>, p: Putusan) -> Result<&'static str, String> {
    if kelayakan != Some("layak") {
        return Err(format!("only a layak household is verified (this one is {})", kelayakan.unwrap_or("not assessed yet")));
    }
    if state == Some("dikembalikan_kecamatan") {
        return Err("the household was returned to the kecamatan".into());
    }
    match (tahap, p) {
        (Tahap::Rw, _) if matches!(state, Some("diterima_lurah" | "ditolak_lurah")) => Err("the Lurah has already decided on this household".into()),
        (Tahap::Rw, Putusan::Diterima) => Ok("diterima_rw"),
        (Tahap::Rw, Putusan::Ditolak) => Ok("ditolak_rw"),
        (Tahap::Rw, Putusan::Dikembalikan) => Err("only the Lurah returns a household to the kecamatan".into()),
        (Tahap::Lurah, Putusan::Diterima) if matches!(state, Some("diterima_rw" | "diterima_lurah" | "ditolak_lurah")) => Ok("diterima_lurah"),
        (Tahap::Lurah, Putusan::Diterima) => Err(format!("the RW has not accepted this household ({})", state.unwrap_or("not verified yet"))),
        (Tahap::Lurah, Putusan::Ditolak) => Ok("ditolak_lurah"),
        (Tahap::Lurah, Putusan::Dikembalikan) if matches!(state, Some("ditolak_rw" | "ditolak_lurah")) => Ok("dikembalikan_kecamatan"),
        (Tahap::Lurah, Putusan::Dikembalikan) => Err("only a refused household (ditolak) is returned to the kecamatan".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rw_then_lurah_then_kecamatan() {
        let l = Some("layak");
        assert_eq!(next(Tahap::Rw, None, l, Putusan::Diterima), Ok("diterima_rw"));
        assert_eq!(next(Tahap::Rw, Some("diterima_rw"), l, Putusan::Ditolak), Ok("ditolak_rw"), "the RW may change its mind");
        assert!(next(Tahap::Rw, None, Some("melebihi_kuota"), Putusan::Diterima).unwrap_err().contains("melebihi_kuota"));
        assert!(next(Tahap::Rw, None, l, Putusan::Dikembalikan).is_err());
        assert!(next(Tahap::Lurah, None, l, Putusan::Diterima).unwrap_err().contains("not accepted"));
        assert_eq!(next(Tahap::Lurah, Some("diterima_rw"), l, Putusan::Diterima), Ok("diterima_lurah"));
        assert!(next(Tahap::Rw, Some("diterima_lurah"), l, Putusan::Ditolak).unwrap_err().contains("Lurah"));
        assert!(next(Tahap::Lurah, Some("diterima_rw"), l, Putusan::Dikembalikan).is_err());
        assert_eq!(next(Tahap::Lurah, Some("ditolak_rw"), l, Putusan::Dikembalikan), Ok("dikembalikan_kecamatan"));
        assert!(next(Tahap::Lurah, Some("dikembalikan_kecamatan"), l, Putusan::Diterima).is_err());
    }
}
