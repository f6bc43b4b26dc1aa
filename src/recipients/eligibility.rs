//! Eligibility (seed 002 step 3 and the quota of step 1), as a pure rule over plain values: a
//! household already on PKH, BPNT, BST, KJS, bantuan permakanan or paket isoman is not eligible
//! (the programmes named); one not matched yet waits; one the register did not match (or records
//! as deceased or moved) is not eligible; the rest are eligible up to the quota of their
//! kecamatan (and kelurahan, when one is set), in household order, and over-quota beyond it.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kelayakan {
    Layak,
    TidakLayak,
    /// Eligible, but the quota of its kecamatan or kelurahan is used up.
    MelebihiKuota,
    /// Not matched with the population register yet.
    BelumDipadankan,
}

impl Kelayakan {
    pub fn as_str(self) -> &'static str {
        match self {
            Kelayakan::Layak => "layak",
            Kelayakan::TidakLayak => "tidak_layak",
            Kelayakan::MelebihiKuota => "melebihi_kuota",
            Kelayakan::BelumDipadankan => "belum_dipadankan",
        }
    }
}

/// What the rule needs of one household (on the list: duplicates are left out by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub id: i64,
    /// RW code: the kecamatan and kelurahan are its prefixes.
    pub rw: String,
    /// Programmes already received (`pkh,bpnt` as stored).
    pub program: String,
    pub padan: Option<String>,
}

/// The first `n` dot-separated parts of a code (`31.71.01.1002.001`, 3 → `31.71.01`).
fn prefix(code: &str, n: usize) -> String {
    code.split('.').take(n).collect::<Vec<_>>().join(".")
}

/// Per household: (id, outcome, reason).
pub type Outcomes = Vec<(i64, Kelayakan, String)>;
/// Per quota area: (kuota, layak, melebihi).
pub type QuotaUse = HashMap<String, (i64, i64, i64)>;

/// Assesses every household, in the order given (by id: first proposed, first served), against the
/// quotas (`wilayah code → kuota`). Returns (id, outcome, reason) per household and, per quota
/// area, (kuota, layak, melebihi).
pub fn assess(households: &[Facts], quotas: &HashMap<String, i64>) -> (Outcomes, QuotaUse) {
    let mut used: QuotaUse = quotas.iter().map(|(k, v)| (k.clone(), (*v, 0, 0))).collect();
    let mut out = Vec::with_capacity(households.len());
    for h in households {
        let programs: Vec<String> = h.program.split(',').filter(|p| !p.is_empty()).map(|p| p.to_uppercase()).collect();
        if !programs.is_empty() {
            out.push((h.id, Kelayakan::TidakLayak, format!("sudah menerima {}", programs.join(", "))));
            continue;
        }
        match h.padan.as_deref() {
            None => {
                out.push((h.id, Kelayakan::BelumDipadankan, "belum dipadankan dengan data kependudukan".into()));
                continue;
            }
            Some("padan") => {}
            Some(other) => {
                out.push((h.id, Kelayakan::TidakLayak, format!("hasil pemadanan: {other}")));
                continue;
            }
        }
        let areas = [prefix(&h.rw, 3), prefix(&h.rw, 4)];
        let full: Vec<&String> = areas.iter().filter(|a| used.get(*a).is_some_and(|(k, l, _)| l >= k)).collect();
        if let Some(a) = full.first() {
            let kuota = used.get(*a).map(|u| u.0).unwrap_or(0);
            let level = if a.matches('.').count() == 2 { "kecamatan" } else { "kelurahan" };
            out.push((h.id, Kelayakan::MelebihiKuota, format!("kuota {level} {a} ({kuota} KK) sudah terpenuhi")));
            for a in &areas {
                if let Some(u) = used.get_mut(a) {
                    u.2 += 1;
                }
            }
            continue;
        }
        for a in &areas {
            if let Some(u) = used.get_mut(a) {
                u.1 += 1;
            }
        }
        out.push((h.id, Kelayakan::Layak, "memenuhi kriteria".into()));
    }
    (out, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: i64, rw: &str, program: &str, padan: Option<&str>) -> Facts {
        Facts { id, rw: rw.into(), program: program.into(), padan: padan.map(String::from) }
    }

    #[test]
    fn programmes_matching_and_quotas() {
        let hh = [
            f(1, "31.71.01.1002.001", "pkh,bst", Some("padan")),
            f(2, "31.71.01.1002.001", "", None),
            f(3, "31.71.01.1002.001", "", Some("meninggal")),
            f(4, "31.71.01.1002.001", "", Some("padan")),
            f(5, "31.71.01.1003.001", "", Some("padan")),
            f(6, "31.71.01.1002.002", "", Some("padan")),
            f(7, "31.71.02.1001.001", "", Some("padan")),
        ];
        let quotas = HashMap::from([("31.71.01".to_string(), 2), ("31.71.01.1002".to_string(), 1)]);
        let (out, used) = assess(&hh, &quotas);
        let k: Vec<Kelayakan> = out.iter().map(|o| o.1).collect();
        use Kelayakan::*;
        assert_eq!(k, [TidakLayak, BelumDipadankan, TidakLayak, Layak, Layak, MelebihiKuota, Layak]);
        assert_eq!(out[0].2, "sudah menerima PKH, BST");
        assert!(out[5].2.contains("kecamatan 31.71.01 (2 KK)"), "{}", out[5].2);
        assert_eq!(used["31.71.01"], (2, 2, 1));
        assert_eq!(used["31.71.01.1002"], (1, 1, 1));
        // Without quotas every eligible household is layak.
        assert!(assess(&hh, &HashMap::new()).0.iter().filter(|o| o.1 == MelebihiKuota).count() == 0);
    }
}
