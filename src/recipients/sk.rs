//! The decree (SK penetapan, seed 002 step 5; seed 001: the Keputusan Gubernur made by Biro
//! Kesos): the accepted list frozen into a numbered, immutable version. Pure rules: the content
//! hash, the difference between two versions, the households per RW that become bansos targets.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// One household as a decree fixes it (numbers masked for answers; the keyed hashes say whether
/// the numbers changed between versions without opening them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SkItem {
    pub household_id: i64,
    pub rw: String,
    pub rt: String,
    /// Masked NIK of the head of household.
    pub nik: String,
    /// Masked No. KK.
    pub no_kk: String,
    pub nama: String,
    pub alamat: String,
    pub jumlah_anggota: i64,
    #[serde(skip)]
    pub nik_hash: String,
    #[serde(skip)]
    pub kk_hash: String,
}

/// SHA-256 (hex) of the list: one line per household in id order with every field the decree
/// fixes (the numbers by their keyed hash), so two versions with the same content have the same
/// hash whatever order they were read in.
pub fn content_hash(items: &[SkItem]) -> String {
    let mut sorted: Vec<&SkItem> = items.iter().collect();
    sorted.sort_by_key(|i| i.household_id);
    let mut h = Sha256::new();
    for i in sorted {
        let line = [i.household_id.to_string(), i.rw.clone(), i.rt.clone(), i.nik_hash.clone(), i.kk_hash.clone(), i.nama.clone(), i.alamat.clone(), i.jumlah_anggota.to_string()];
        // Tab-separated: no field holds a control character (checked at import).
        h.update(line.join("\t").as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// A household whose decreed fields differ between two versions, naming the fields.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Changed {
    pub sebelum: SkItem,
    pub sesudah: SkItem,
    /// rw, rt, nik, no_kk, nama, alamat, jumlah_anggota.
    pub kolom: Vec<String>,
}

/// The difference from version `a` to version `b`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Diff {
    pub ditambah: Vec<SkItem>,
    pub dihapus: Vec<SkItem>,
    pub diubah: Vec<Changed>,
}

pub fn diff(a: &[SkItem], b: &[SkItem]) -> Diff {
    let old: HashMap<i64, &SkItem> = a.iter().map(|i| (i.household_id, i)).collect();
    let new: HashMap<i64, &SkItem> = b.iter().map(|i| (i.household_id, i)).collect();
    let mut d = Diff::default();
    for i in b {
        match old.get(&i.household_id) {
            None => d.ditambah.push(i.clone()),
            Some(o) => {
                let kolom: Vec<String> = [
                    ("rw", o.rw != i.rw),
                    ("rt", o.rt != i.rt),
                    ("nik", o.nik_hash != i.nik_hash),
                    ("no_kk", o.kk_hash != i.kk_hash),
                    ("nama", o.nama != i.nama),
                    ("alamat", o.alamat != i.alamat),
                    ("jumlah_anggota", o.jumlah_anggota != i.jumlah_anggota),
                ]
                .into_iter()
                .filter(|(_, differs)| *differs)
                .map(|(k, _)| k.to_string())
                .collect();
                if !kolom.is_empty() {
                    d.diubah.push(Changed { sebelum: (*o).clone(), sesudah: i.clone(), kolom });
                }
            }
        }
    }
    d.dihapus = a.iter().filter(|i| !new.contains_key(&i.household_id)).cloned().collect();
    d
}

/// KK per RW of a list: the bansos targets an SK sets. An RW named by the previous SK and not by
/// this one gets 0 (its recipients were all removed), so the targets always equal the current SK.
pub fn targets(items: &[SkItem], previous: &[String]) -> BTreeMap<String, u32> {
    let mut t: BTreeMap<String, u32> = previous.iter().map(|rw| (rw.clone(), 0)).collect();
    for i in items {
        *t.entry(i.rw.clone()).or_default() += 1;
    }
    t
}

/// Request body of `POST /api/v1/recipients/decrees`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkInput {
    /// The decree's number as signed (`e 386 Tahun 2020`), unique.
    pub nomor: String,
    /// The date it was signed (YYYY-MM-DD), not in the future.
    pub tanggal: NaiveDate,
}

impl SkInput {
    /// The number trimmed; errors name the field.
    pub fn check(&self, today: NaiveDate) -> Result<String, (String, String)> {
        let nomor = crate::text::required("nomor", &self.nomor, 100).map_err(|e| (e.field().to_string(), e.to_string()))?;
        if self.tanggal > today {
            return Err(("tanggal".into(), format!("tanggal {} is in the future: a decree is dated when signed", self.tanggal)));
        }
        Ok(nomor.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, rw: &str, nama: &str) -> SkItem {
        SkItem {
            household_id: id,
            rw: rw.into(),
            rt: "001".into(),
            nik: "3171**********01".into(),
            no_kk: "3171**********03".into(),
            nama: nama.into(),
            alamat: "Jl. A".into(),
            jumlah_anggota: 3,
            nik_hash: format!("n{id}"),
            kk_hash: format!("k{id}"),
        }
    }

    #[test]
    fn hash_is_order_free_and_content_bound() {
        let a = vec![item(1, "x", "A"), item(2, "x", "B")];
        let b = vec![item(2, "x", "B"), item(1, "x", "A")];
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&[item(1, "x", "A"), item(2, "x", "C")]));
    }

    #[test]
    fn diff_names_added_removed_and_changed_fields() {
        let a = vec![item(1, "x", "A"), item(2, "x", "B")];
        let mut b2 = item(2, "y", "B");
        b2.nik_hash = "other".into();
        let b = vec![b2, item(3, "x", "C")];
        let d = diff(&a, &b);
        assert_eq!(d.ditambah.iter().map(|i| i.household_id).collect::<Vec<_>>(), [3]);
        assert_eq!(d.dihapus.iter().map(|i| i.household_id).collect::<Vec<_>>(), [1]);
        assert_eq!(d.diubah[0].kolom, ["rw", "nik"]);
        assert!(diff(&a, &a).diubah.is_empty());
    }

    #[test]
    fn targets_follow_the_list_and_zero_what_left_it() {
        let t = targets(&[item(1, "x", "A"), item(2, "x", "B"), item(3, "y", "C")], &["z".into(), "x".into()]);
        assert_eq!(t.into_iter().collect::<Vec<_>>(), [("x".into(), 2), ("y".into(), 1), ("z".into(), 0)]);
    }

    #[test]
    fn input_checks() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let ok = SkInput { nomor: " 386 Tahun 2020 ".into(), tanggal: today };
        assert_eq!(ok.check(today).unwrap(), "386 Tahun 2020");
        assert_eq!(SkInput { nomor: " ".into(), tanggal: today }.check(today).unwrap_err().0, "nomor");
        assert_eq!(SkInput { nomor: "1".into(), tanggal: today.succ_opt().unwrap() }.check(today).unwrap_err().0, "tanggal");
    }
}
