//! Recipients (penerima bansos) by name: the pipeline of seeds 001 (Jakarta PSBB) and 002
//! (Semarang JPS SOP) from candidate data (data calon penerima) to the households that receive a
//! package. Landed so far: import of CSV and XLSX batches per source with every row kept, and
//! cleaning (NIK and No. KK checks with reasons, the `luar_dki` flag, dedup across sources,
//! near-duplicates for a person to decide). See `README.md` here for the rules and what is left.
//!
//! Personal data: NIK, No. KK and telephone are sealed with AES-256-GCM (`crypt`), found by a
//! keyed hash, and answered masked; names and addresses are kept in private tables that no
//! public route, tile or log reads.

pub mod cli;
pub mod crypt;
pub mod dokumen;
pub mod eligibility;
pub mod http;
pub mod model;
pub mod penyaluran;
pub mod ops;
pub mod registry;
pub mod sk;
pub mod store;
pub mod usulan;
pub mod verification;
