//! The roll-up rule (pure): from the rows `peta::store` reads, the numbers per site, kelurahan,
//! kota and province of Lampiran I step 2 ("peta dan informasi … target, pledge, dan distribusi").
//!
//! - **target**: UMKM of the target data not `ditolak` (by the kelurahan of the UMKM record);
//! - **pledge** (a submitted Konfirmasi): `umkm_dijanjikan` counts each UMKM once — every UMKM at a
//!   site chosen by a goods/training Konfirmasi, and every named loan recipient (`penerima`);
//!   `nilai_dijanjikan` is the rupiah: a goods/training Konfirmasi's `nilai_per_paket ×
//!   jumlah_paket` split evenly over its sites (the remainder to the first site by id, so the
//!   kota and province totals are exact sums), a loan's plafon per recipient where the recipient is;
//!   `konfirmasi` counts the distinct Konfirmasi with a site or a recipient in the area;
//! - **realisation**: `umkm_terealisasi` counts each UMKM with packages handed over (BAST) or rupiah
//!   disbursed; `nilai_terealisasi` is the rupiah disbursed plus the packages × `nilai_per_paket` —
//!   where both the collaborator and its distributor filed a BAST for the same UMKM, the larger of
//!   their figures counts once (the two describe the same handover; their difference is a flag).
//!
//! Repayments and the final transfer of funds are not realisation to the UMKM and are left out.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// A site as the roll-up reads it (retired sites too: their kelurahan places their pledges).
#[derive(Debug, Clone, PartialEq)]
pub struct SiteRow {
    pub id: i64,
    pub kode: String,
    pub nama: String,
    pub jenis: String,
    pub lon: f64,
    pub lat: f64,
    pub kapasitas: i64,
    pub kelurahan: String,
    pub aktif: bool,
    pub generated: bool,
}

/// UMKM (not `ditolak`) per kelurahan and site.
#[derive(Debug, Clone)]
pub struct UmkmCount {
    pub kelurahan: Option<String>,
    pub site_id: Option<i64>,
    pub n: i64,
}

/// One site chosen by one Konfirmasi.
#[derive(Debug, Clone)]
pub struct KonfirmasiSite {
    pub konfirmasi_id: i64,
    /// sarana | pelatihan | pinjaman
    pub bentuk: String,
    pub nilai_per_paket: i64,
    pub jumlah_paket: i64,
    pub site_id: i64,
}

/// One confirmed loan recipient (UMKM not `ditolak`).
#[derive(Debug, Clone)]
pub struct Penerima {
    pub konfirmasi_id: i64,
    pub umkm_kode: String,
    pub plafon: i64,
    pub kelurahan: Option<String>,
    pub site_id: Option<i64>,
}

/// What one reporter handed over or disbursed to one UMKM under one Konfirmasi (summed over its reports).
#[derive(Debug, Clone)]
pub struct Realisasi {
    pub konfirmasi_id: i64,
    pub pelapor_id: i64,
    /// bast | disbursement
    pub jenis: String,
    pub umkm_kode: String,
    pub kelurahan: Option<String>,
    pub site_id: Option<i64>,
    pub jumlah: i64,
}

/// The numbers of one area (or the province).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Angka {
    /// Active sites.
    pub lokasi: i64,
    /// Traders the active sites hold.
    pub kapasitas: i64,
    pub target_umkm: i64,
    pub konfirmasi: i64,
    pub umkm_dijanjikan: i64,
    /// Rupiah.
    pub nilai_dijanjikan: i64,
    pub umkm_terealisasi: i64,
    /// Rupiah.
    pub nilai_terealisasi: i64,
    /// `umkm_terealisasi` as a percentage of `target_umkm`, one decimal (0 with no target).
    pub persen_terealisasi: f64,
}

/// One active site with its share of UMKM reached: what the site tiles draw.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteStat {
    pub site: SiteRow,
    pub umkm: i64,
    pub dijanjikan: i64,
    pub tercapai: i64,
    /// `tercapai` as a whole percentage of `umkm` (0 with no UMKM).
    pub persen: i64,
}

/// The whole roll-up at one data revision.
#[derive(Debug, Clone, Default)]
pub struct Rekap {
    pub revision: i64,
    /// Active sites, by id.
    pub sites: Vec<SiteStat>,
    pub kelurahan: BTreeMap<String, Angka>,
    pub kota: BTreeMap<String, Angka>,
    pub total: Angka,
    /// Some active site is generated demo data (`sigap init`), and so are its UMKM.
    pub generated: bool,
}

/// Rows read at one revision.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub sites: Vec<SiteRow>,
    pub umkm: Vec<UmkmCount>,
    pub konfirmasi_sites: Vec<KonfirmasiSite>,
    pub penerima: Vec<Penerima>,
    pub realisasi: Vec<Realisasi>,
}

/// The kota code of a kelurahan code (`31.71.01.1001` → `31.71`).
pub fn kota_of(kelurahan: &str) -> Option<&str> {
    kelurahan.get(..5).filter(|k| k.len() == 5)
}

#[derive(Default)]
struct Acc {
    angka: Angka,
    konfirmasi: HashSet<i64>,
}

/// Accumulates per kelurahan, kota and the province at once.
#[derive(Default)]
struct Areas {
    kel: HashMap<String, Acc>,
    kota: HashMap<String, Acc>,
    total: Acc,
}

impl Areas {
    fn each(&mut self, kelurahan: Option<&str>, f: impl Fn(&mut Acc)) {
        if let Some(k) = kelurahan {
            f(self.kel.entry(k.to_string()).or_default());
            if let Some(kota) = kota_of(k) {
                f(self.kota.entry(kota.to_string()).or_default());
            }
        }
        f(&mut self.total);
    }
}

fn finish(acc: Acc) -> Angka {
    let mut a = acc.angka;
    a.konfirmasi = acc.konfirmasi.len() as i64;
    a.persen_terealisasi = if a.target_umkm > 0 { (1000.0 * a.umkm_terealisasi as f64 / a.target_umkm as f64).round() / 10.0 } else { 0.0 };
    a
}

/// Rolls the rows up (see the module doc for what each number means).
pub fn build(revision: i64, rows: &Rows) -> Rekap {
    let site_kel: HashMap<i64, &str> = rows.sites.iter().map(|s| (s.id, s.kelurahan.as_str())).collect();
    let mut areas = Areas::default();
    // Per site: (umkm, dijanjikan, tercapai).
    let mut per_site: HashMap<i64, (i64, i64, i64)> = HashMap::new();

    for s in rows.sites.iter().filter(|s| s.aktif) {
        areas.each(Some(&s.kelurahan), |a| {
            a.angka.lokasi += 1;
            a.angka.kapasitas += s.kapasitas;
        });
    }
    for u in &rows.umkm {
        areas.each(u.kelurahan.as_deref(), |a| a.angka.target_umkm += u.n);
        if let Some(id) = u.site_id {
            per_site.entry(id).or_default().0 += u.n;
        }
    }

    // Pledges. Goods/training: every UMKM at the chosen sites; the value split over the sites.
    let mut by_konf: BTreeMap<i64, Vec<&KonfirmasiSite>> = BTreeMap::new();
    for ks in &rows.konfirmasi_sites {
        by_konf.entry(ks.konfirmasi_id).or_default().push(ks);
    }
    let mut goods_sites: HashSet<i64> = HashSet::new();
    for (kid, mut sites) in by_konf {
        sites.sort_by_key(|s| s.site_id);
        let goods = sites[0].bentuk != "pinjaman";
        let value = if goods { sites[0].nilai_per_paket.saturating_mul(sites[0].jumlah_paket) } else { 0 };
        let n = sites.len() as i64;
        for (i, s) in sites.iter().enumerate() {
            let share = value / n + if i == 0 { value % n } else { 0 };
            let kel = site_kel.get(&s.site_id).copied();
            areas.each(kel, |a| {
                a.konfirmasi.insert(kid);
                a.angka.nilai_dijanjikan += share;
            });
            if goods {
                goods_sites.insert(s.site_id);
            }
        }
    }
    for u in rows.umkm.iter().filter(|u| u.site_id.is_some_and(|id| goods_sites.contains(&id))) {
        areas.each(u.kelurahan.as_deref(), |a| a.angka.umkm_dijanjikan += u.n);
        if let Some(id) = u.site_id {
            per_site.entry(id).or_default().1 += u.n;
        }
    }
    // Loans: the named recipients (each UMKM once, unless already pledged through its site).
    let mut counted: HashSet<&str> = HashSet::new();
    for p in &rows.penerima {
        areas.each(p.kelurahan.as_deref(), |a| {
            a.konfirmasi.insert(p.konfirmasi_id);
            a.angka.nilai_dijanjikan += p.plafon;
        });
        let at_goods_site = p.site_id.is_some_and(|id| goods_sites.contains(&id));
        if !at_goods_site && counted.insert(p.umkm_kode.as_str()) {
            areas.each(p.kelurahan.as_deref(), |a| a.angka.umkm_dijanjikan += 1);
            if let Some(id) = p.site_id {
                per_site.entry(id).or_default().1 += 1;
            }
        }
    }

    // Realisation: per (Konfirmasi, UMKM) the larger BAST figure of its reporters; rupiah disbursed.
    let nilai_paket: HashMap<i64, i64> = rows.konfirmasi_sites.iter().map(|k| (k.konfirmasi_id, k.nilai_per_paket)).collect();
    let mut bast: HashMap<(i64, &str), (i64, &Realisasi)> = HashMap::new();
    let mut reached: HashMap<&str, &Realisasi> = HashMap::new();
    for r in rows.realisasi.iter().filter(|r| r.jumlah > 0) {
        reached.entry(r.umkm_kode.as_str()).or_insert(r);
        if r.jenis == "bast" {
            let e = bast.entry((r.konfirmasi_id, r.umkm_kode.as_str())).or_insert((0, r));
            e.0 = e.0.max(r.jumlah);
        } else {
            areas.each(r.kelurahan.as_deref(), |a| a.angka.nilai_terealisasi += r.jumlah);
        }
    }
    for ((kid, _), (packages, r)) in bast {
        let value = packages.saturating_mul(nilai_paket.get(&kid).copied().unwrap_or(0));
        areas.each(r.kelurahan.as_deref(), |a| a.angka.nilai_terealisasi += value);
    }
    for r in reached.values() {
        areas.each(r.kelurahan.as_deref(), |a| a.angka.umkm_terealisasi += 1);
        if let Some(id) = r.site_id {
            per_site.entry(id).or_default().2 += 1;
        }
    }

    let mut sites: Vec<SiteStat> = rows
        .sites
        .iter()
        .filter(|s| s.aktif)
        .map(|s| {
            let (umkm, dijanjikan, tercapai) = per_site.get(&s.id).copied().unwrap_or_default();
            let persen = if umkm > 0 { (100 * tercapai + umkm / 2) / umkm } else { 0 };
            SiteStat { site: s.clone(), umkm, dijanjikan, tercapai, persen }
        })
        .collect();
    sites.sort_by_key(|s| s.site.id);
    Rekap {
        revision,
        sites,
        kelurahan: areas.kel.into_iter().map(|(k, a)| (k, finish(a))).collect(),
        kota: areas.kota.into_iter().map(|(k, a)| (k, finish(a))).collect(),
        total: finish(areas.total),
        generated: rows.sites.iter().any(|s| s.aktif && s.generated),
    }
}

/// The lon/lat of every site whose tile feature differs between two roll-ups (added, removed,
/// moved, renamed or restyled), per layer (the site's `jenis`): the tiles to drop.
pub fn changed_points(old: &[SiteStat], new: &[SiteStat]) -> Vec<(String, f64, f64)> {
    let before: HashMap<i64, &SiteStat> = old.iter().map(|s| (s.site.id, s)).collect();
    let after: HashMap<i64, &SiteStat> = new.iter().map(|s| (s.site.id, s)).collect();
    let mut out = Vec::new();
    for s in new {
        match before.get(&s.site.id) {
            Some(o) if *o == s => {}
            Some(o) => {
                out.push((o.site.jenis.clone(), o.site.lon, o.site.lat));
                out.push((s.site.jenis.clone(), s.site.lon, s.site.lat));
            }
            None => out.push((s.site.jenis.clone(), s.site.lon, s.site.lat)),
        }
    }
    for o in old.iter().filter(|o| !after.contains_key(&o.site.id)) {
        out.push((o.site.jenis.clone(), o.site.lon, o.site.lat));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(id: i64, kel: &str, aktif: bool) -> SiteRow {
        SiteRow { id, kode: format!("S{id}"), nama: format!("Site {id}"), jenis: "lokbin".into(), lon: 106.8, lat: -6.2, kapasitas: 10, kelurahan: kel.into(), aktif, generated: true }
    }

    fn rows() -> Rows {
        let (a, b) = ("31.71.01.1001", "31.72.01.1001");
        Rows {
            sites: vec![site(1, a, true), site(2, b, true), site(3, b, false)],
            umkm: vec![
                UmkmCount { kelurahan: Some(a.into()), site_id: Some(1), n: 4 },
                UmkmCount { kelurahan: Some(b.into()), site_id: Some(2), n: 2 },
                UmkmCount { kelurahan: Some(b.into()), site_id: None, n: 3 },
                UmkmCount { kelurahan: None, site_id: None, n: 1 },
            ],
            konfirmasi_sites: vec![
                KonfirmasiSite { konfirmasi_id: 10, bentuk: "sarana".into(), nilai_per_paket: 100, jumlah_paket: 5, site_id: 1 },
                KonfirmasiSite { konfirmasi_id: 10, bentuk: "sarana".into(), nilai_per_paket: 100, jumlah_paket: 5, site_id: 3 },
                KonfirmasiSite { konfirmasi_id: 11, bentuk: "pinjaman".into(), nilai_per_paket: 0, jumlah_paket: 0, site_id: 2 },
            ],
            penerima: vec![
                // At a goods site already pledged: counted once, its plafon still pledged.
                Penerima { konfirmasi_id: 11, umkm_kode: "U1".into(), plafon: 1000, kelurahan: Some(a.into()), site_id: Some(1) },
                Penerima { konfirmasi_id: 11, umkm_kode: "U5".into(), plafon: 700, kelurahan: Some(b.into()), site_id: Some(2) },
            ],
            realisasi: vec![
                Realisasi { konfirmasi_id: 10, pelapor_id: 1, jenis: "bast".into(), umkm_kode: "U1".into(), kelurahan: Some(a.into()), site_id: Some(1), jumlah: 2 },
                Realisasi { konfirmasi_id: 10, pelapor_id: 2, jenis: "bast".into(), umkm_kode: "U1".into(), kelurahan: Some(a.into()), site_id: Some(1), jumlah: 3 },
                Realisasi { konfirmasi_id: 11, pelapor_id: 3, jenis: "disbursement".into(), umkm_kode: "U1".into(), kelurahan: Some(a.into()), site_id: Some(1), jumlah: 900 },
                Realisasi { konfirmasi_id: 11, pelapor_id: 3, jenis: "disbursement".into(), umkm_kode: "U5".into(), kelurahan: Some(b.into()), site_id: Some(2), jumlah: 0 },
            ],
        }
    }

    #[test]
    fn rolls_up_targets_pledges_and_realisation() {
        let r = build(7, &rows());
        let a = &r.kelurahan["31.71.01.1001"];
        // Goods 500 split over sites 1 and 3: 250 each; plus the loan's 1000 plafon for U1.
        assert_eq!((a.lokasi, a.target_umkm, a.umkm_dijanjikan, a.nilai_dijanjikan, a.konfirmasi), (1, 4, 4, 1250, 2));
        // U1: BAST max(2, 3) × 100 + 900 disbursed, one UMKM reached.
        assert_eq!((a.umkm_terealisasi, a.nilai_terealisasi, a.persen_terealisasi), (1, 1200, 25.0));
        let b = &r.kelurahan["31.72.01.1001"];
        // The retired site 3 is not a site any more but places its share of the goods pledge.
        assert_eq!((b.lokasi, b.target_umkm, b.umkm_dijanjikan, b.nilai_dijanjikan, b.konfirmasi), (1, 5, 1, 950, 2));
        assert_eq!((b.umkm_terealisasi, b.nilai_terealisasi), (0, 0), "zero rupiah is not a realisation");
        assert_eq!(r.total.target_umkm, 10, "the UMKM without a kelurahan count in the province only");
        assert_eq!((r.total.nilai_dijanjikan, r.total.konfirmasi, r.total.lokasi), (2200, 2, 2));
        assert_eq!(r.kota["31.71"], *a);
        assert_eq!(r.sites.iter().map(|s| (s.site.id, s.umkm, s.dijanjikan, s.tercapai, s.persen)).collect::<Vec<_>>(), vec![(1, 4, 4, 1, 25), (2, 2, 1, 0, 0)]);
    }

    #[test]
    fn changed_points_name_added_removed_and_restyled_sites_only() {
        let old = build(1, &rows()).sites;
        let mut more = rows();
        more.realisasi[3].jumlah = 50;
        more.sites.push(SiteRow { jenis: "loksem".into(), ..site(4, "31.71.01.1001", true) });
        let new = build(2, &more).sites;
        let got = changed_points(&old, &new);
        assert_eq!(got.len(), 3, "site 2 restyled (old and new point), site 4 added: {got:?}");
        assert!(got.iter().any(|(l, ..)| l == "loksem"));
        assert!(changed_points(&new, &new).is_empty());
        assert_eq!(changed_points(&new, &old).len(), 3);
        assert_eq!(kota_of("31.71.01.1001"), Some("31.71"));
        assert_eq!(kota_of("31"), None);
    }
}
