//! KSBB UMKM — Kolaborasi Sosial Berskala Besar for micro, small and medium businesses
//! (Instruksi Sekda DKI 56/2020, seed 003): the UMKM target data the dinas verify, the sites
//! (lokbin, loksem, lokasi promosi) Citata manages as spatial data, the collaborators Bidang
//! Kolaborasi reviews (PKS), the Konfirmasi that issues an ID kolaborasi, and the Realisasi
//! reports (BAST, loan disbursements, repayments, the transfer of the funds) and the pendamping's
//! checks with the owners, and the flags where those reports disagree (see README.md).
//!
//! `model` holds the plain rules (no HTTP, no SQL); `ops` the writes shared by `http` and `cli`.

pub mod cli;
pub mod demo;
pub mod http;
pub mod model;
pub mod ogc;
pub mod ops;
pub mod peta;
pub mod store;
